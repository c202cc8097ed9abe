"""The case timeline in words: each stored event (kind, actor, step, data) as a Chinese title and
a few detail lines, with step and timer names from the deployed diagram."""
import re
from dataclasses import dataclass, field

from handlers import localtime
from handlers.cases import history
from handlers.process import contract
from handlers.org.service import display_names

from . import common, labels


@dataclass
class Entry:
    at: object
    actor: str
    title: str
    kind: str
    details: list = field(default_factory=list)


def _value(step, name, value):
    if name in ("unit", "holder", "handler") and value:
        return f"{common.unit_name(value)}（{value}）"
    if name == "category" and value:
        return common.catalogue().get(value).label if value in common.catalogue() else value
    if name in ("urgency", "suggested_urgency") and value:
        return labels.URGENCY.get(value, value)
    if isinstance(value, bool) or (step, name) in labels.CHOICES:
        return labels.choice_label(step, name, value)
    return str(value)


def _form_lines(step, form):
    lines = []
    for name, value in (form or {}).items():
        if value is None or value == "" or name == "task_id":
            continue
        lines.append(f"{labels.field_label(step, name)}：{_value(step, name, value)}")
    return lines


def _reason(text):
    """The engine's English reasons for a data change, in Chinese."""
    extension = re.fullmatch(r"extension of (\d+) working days?", text)
    if extension:
        return f"批准延期 {extension[1]} 个工作日"
    calendar = re.fullmatch(r"official calendar data for (\d{4}) loaded", text)
    if calendar:
        return f"{calendar[1]} 年正式节假日数据已载入，时限重新计算"
    return text


def _suspension_lines(data):
    """A suspension's clock stopping or starting again (the `suspend_clock`/`resume_clock` data change)."""
    after = data.get("after") or {}
    found = after.get("suspension") or {}
    if data["context"]["suspension"] == "suspended":
        return "案件挂起（计时暂停）", [f"预计恢复日期：{found.get('resume_on')}", f"理由：{found.get('reason')}"]
    minutes = int(found.get("seconds") or 0) // 60
    hours, minutes = divmod(minutes, 60)
    return "恢复计时", [f"挂起 {hours} 小时 {minutes} 分钟（工作时间）", f"新的截止时间：{localtime.show(after.get('due_at'))}"]


def describe(event, names, people=None):
    """One event as an Entry; `names` maps diagram element ids to their names."""
    data = event.data or {}
    step = event.step
    if event.kind == "started":
        start = data.get("data") or {}
        title = f"上报（{labels.CHANNEL.get(start.get('channel'), start.get('channel') or '')}）"
        details = [f"类别：{_value(None, 'category', start.get('category'))}"] if start.get("category") else []
        if start.get("fixed_on_spot"):
            details.append("网格员当场处置")
    elif event.kind == "task_completed":
        title = labels.STEP.get(step) or names.get(step) or step or "办理"
        details = _form_lines(step, data.get("form"))
    elif event.kind == "timers_fired":
        fired = [names.get(t.get("timer"), t.get("timer")) for t in data.get("timers", [])]
        title, details = "时限计时器到期", ["、".join(fired)] if fired else []
    elif event.kind == "penalty":
        title = "扣分"
        details = [f"{common.unit_name(data.get('unit'))}：{labels.PENALTY_REASON.get(data.get('reason'), data.get('reason'))}"
                   f"，扣 {data.get('points')} 分"]
    elif event.kind == "notified":
        title, details = "黄灯预警", ["已过处置时限的 80%"]
    elif event.kind == "merged":
        title, details = "并案", [f"并入案件 {data.get('into')}"]
    elif event.kind == "data_changed" and (data.get("context") or {}).get("suspension"):
        title, details = _suspension_lines(data)
    elif event.kind == "data_changed":
        after = data.get("after") or {}
        title = "时限调整" if "due_at" in after else "数据变更"
        details = [f"新的截止时间：{localtime.show(after['due_at'])}"] if after.get("due_at") else []
        if data.get("reason"):
            details.append(_reason(str(data["reason"])))
    elif event.kind == "photos_added":
        kind = labels.PHOTO_KIND.get(data.get("kind"), data.get("kind"))
        title, details = f"上传{kind}", [f"{len(data.get('photos') or [])} 张"]
    elif event.kind == "video_detected":
        title = "视频识别" + ("并立案" if data.get("filed") else "（同一违规再次识别）")
        details = [f"摄像头 {data.get('camera')}：{data.get('violation_name') or data.get('violation')}"]
    elif event.kind == "message_received" and data.get("name") == contract.SUPERVISE_MESSAGE:
        payload = data.get("payload") or {}
        title = "督办（人工发起）"
        details = [f"督办意见：{payload.get('comment', '')}"]
    elif event.kind == "message_received" and data.get("name") == contract.RESUME_MESSAGE:
        payload = data.get("payload") or {}
        title = "值班长恢复挂起的案件"
        details = [f"意见：{payload['comment']}"] if payload.get("comment") else []
    elif event.kind == "follow_up":
        title = labels.EVENT["follow_up"]
        details = [f"市民评价：{data.get('rating_label') or data.get('rating')}"] + (
            [f"回访说明：{data['note']}"] if data.get("note") else [])
    elif event.kind == "migrated":
        title = labels.EVENT["migrated"]
        details = [f"版本 {data.get('from')} → 版本 {data.get('to')}（{str(data.get('to_hash') or '')[:12]}）"]
    else:
        title = labels.EVENT.get(event.kind, event.kind)
        details = []
    actor = labels.ACTOR.get(event.actor) or (people or {}).get(event.actor) or event.actor
    return Entry(at=event.at, actor=actor, title=title, kind=event.kind, details=details)


def entries(session, case):
    """The case's timeline in words, with the diagram's names of steps and timers and who acted."""
    events = history.timeline(session, case)
    deployment = history.deployment_of(session, case)
    names = history.element_names(deployment) if deployment else {}
    people = display_names(session, [e.actor for e in events])
    return [describe(e, names, people) for e in events]
