"""Chinese labels for what the UI shows: statuses, steps, roles, channels, event kinds, form fields
and their choices, and translations of marshmallow's default (English) validation messages."""

STATUS = {
    "accepting": "待受理", "verifying": "核实中", "dispatching": "派遣中", "handling": "处置中",
    "extension": "延期审批中", "reviewing": "审核中", "checking": "核查中", "closing": "待结案",
    "suspension": "挂起审批中", "suspended": "挂起", "closed": "已结案", "voided": "已作废", "merged": "已并案", "closed_on_spot": "当场处置结案",
}
URGENCY = {"A": "A 紧急", "B": "B 重要", "C": "C 普通"}
STEP = {
    "accept_report": "受理审核", "verify_report": "核实", "dispatch": "派遣", "handle": "处置",
    "approve_extension": "延期审批", "review": "审核", "check_result": "核查", "close_case": "结案",
    "supervise": "督办", "supervise_reply": "督办回复", "approve_suspension": "挂起审批", "resume_case": "恢复",
}
ROLE = {
    "intake": "受理员", "dispatcher": "派遣员", "shiftlead": "值班长", "officer": "单位工作人员",
    "grid": "网格员", "owner": "流程管理员", "auditor": "审计员", "admin": "系统管理员", "supervisor": "督查员",
}
CHANNEL = {
    "grid": "网格员上报", "hotline12345": "12345热线", "transfer110": "110转办", "wechat": "微信公众号",
    "web": "网站", "video": "视频智能识别", "intake": "受理员录入",
}
LIGHT = {"green": "绿灯（未到预警）", "yellow": "黄灯（已预警）", "red": "红灯（已超期）"}
LIGHT_SHORT = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
DATED = {"reported": "上报", "filed": "立案", "closed": "结案"}
EVENT = {
    "started": "案件上报", "task_completed": "办理", "timers_fired": "计时器到期", "penalty": "扣分",
    "merged": "并案", "notified": "黄灯预警", "data_changed": "数据变更", "photos_added": "上传照片",
    "video_detected": "视频识别", "migrated": "迁移流程版本", "message_received": "督办",
    "follow_up": "回访",
    # the system log
    "deployed": "部署新版本", "made_current": "设为当前版本（回退）", "clock_changed": "调整时钟",
    "callback_set": "设置接入系统回调", "callback_cleared": "删除接入系统回调",
}
# Who acted when no person did: the names the engine and the commands record.
ACTOR = {"timer": "系统计时器", "system": "系统", "cli": "命令行", None: "系统"}
SHIPPED_NOTE = "shipped "    # engine.deployments' note on a version deployed from processes/ by `db upgrade`
# An outbound message's delivery state (handlers.notifications.outbox's statuses).
DELIVERY = {"pending": "待发送", "sending": "发送中", "sent": "已送达", "dead": "失败（已停止重试）"}
PENALTY_REASON = {"overdue": "超期", "overdue_day": "超期每增加一个工作日", "rework": "返工"}
PHOTO_KIND = {"before": "上报照片", "after": "处置后照片", "check": "核查照片", "snapshot": "抓拍照片"}
PHOTO_KIND_OF_STEP = {"handle": "after", "check_result": "check", "verify_report": "check"}

# Form fields: labels by (step, field), falling back to the field alone.
FIELD = {
    "decision": "受理决定", "category": "案件类别", "urgency": "紧急程度", "reason": "理由",
    "duplicate_of": "并入案件编号", "exists": "核实结果", "note": "说明", "action": "办理方式",
    "unit": "下派单位", "result": "处置结果", "working_days": "工作日数", "approved": "审批意见",
    "comment": "意见", "passed": "核查结果", "description": "问题描述", "address": "地址",
    "community": "社区", "grid": "网格", "lat": "纬度", "lng": "经度", "suggested_urgency": "建议紧急程度",
    "fixed_on_spot": "当场处置", "photos": "照片", "channel": "来源渠道", "external_ref": "外部编号",
}
STEP_FIELD = {
    ("accept_report", "reason"): "作废理由",
    ("dispatch", "reason"): "退回理由",
    ("handle", "working_days"): "申请延期（工作日）",
    ("handle", "reason"): "延期、挂起或退回理由",
    ("handle", "resume_on"): "预计恢复日期",
    ("approve_suspension", "approved"): "是否批准挂起",
    ("resume_case", "comment"): "恢复说明",
    ("approve_extension", "approved"): "是否批准延期",
    ("approve_extension", "working_days"): "批准延期（工作日）",
    ("review", "approved"): "审核意见",
    ("review", "comment"): "意见",
    ("check_result", "note"): "核查说明",
    ("close_case", "comment"): "结案意见",
    ("supervise", "comment"): "督办意见",
    ("supervise_reply", "plan"): "整改措施",
    ("supervise_reply", "promised_by"): "承诺完成日期",
}
CHOICES = {
    ("accept_report", "decision"): {"file": "立案", "void": "作废", "merge": "并案", "verify": "派网格员核实"},
    ("dispatch", "action"): {"assign": "下派", "handle": "本级处置", "return": "退回上级"},
    ("handle", "action"): {"done": "办结", "extend": "申请延期", "suspend": "申请挂起（等待第三方）",
                           "return": "退回（非本单位职责）"},
}
BOOLEAN = {
    "approved": ("同意", "不同意"),
    ("review", "approved"): ("通过", "退回重办"),
    ("approve_extension", "approved"): ("批准", "不批准"),
    ("approve_suspension", "approved"): ("批准", "不批准"),
    "exists": ("属实", "不属实"),
    "passed": ("通过", "不通过"),
}
# When a field only matters for one choice of another (the form hides it otherwise).
SHOW_WHEN = {
    ("accept_report", "category"): ("decision", ("file",)),
    ("accept_report", "urgency"): ("decision", ("file",)),
    ("accept_report", "reason"): ("decision", ("void",)),
    ("accept_report", "duplicate_of"): ("decision", ("merge",)),
    ("dispatch", "unit"): ("action", ("assign",)),
    ("dispatch", "reason"): ("action", ("return",)),
    ("handle", "result"): ("action", ("done",)),
    ("handle", "working_days"): ("action", ("extend",)),
    ("handle", "reason"): ("action", ("extend", "return", "suspend")),
    ("handle", "resume_on"): ("action", ("suspend",)),
    ("approve_extension", "working_days"): ("approved", ("true",)),
}
HINT = {
    ("accept_report", "category"): "可修改上报时的类别",
    ("accept_report", "reason"): "作废时必填",
    ("accept_report", "duplicate_of"): "并案时必填：在办案件的编号",
    ("dispatch", "unit"): "下派时必填：本单位的直属下级单位",
    ("dispatch", "reason"): "退回时必填",
    ("handle", "result"): "办结时必填",
    ("handle", "working_days"): "申请延期时必填，1–30",
    ("handle", "reason"): "申请延期、挂起或退回时必填",
    ("handle", "resume_on"): "申请挂起时必填：今天之后、30 个工作日以内；到期自动恢复",
    ("approve_extension", "working_days"): "不填则按申请的天数",
    ("review", "comment"): "退回重办时必填",
    ("check_result", "note"): "核查不通过时必填",
}
LONG_TEXT = ("result", "reason", "comment", "note", "description")
DATES = {("handle", "resume_on")}     # fields the browser offers a date picker for


def field_label(step, name):
    return STEP_FIELD.get((step, name)) or FIELD.get(name, name)


def choice_label(step, name, value):
    if isinstance(value, bool) or value in ("true", "false"):
        yes, no = BOOLEAN.get((step, name)) or BOOLEAN.get(name) or ("是", "否")
        return yes if value in (True, "true") else no
    labels = CHOICES.get((step, name)) or {}
    if name in ("urgency", "suggested_urgency"):
        labels = URGENCY
    return labels.get(value, value)
