"""What a unit of work means to people: the notices its events and the tasks it opened give rise
to, each with its kind, its cause (the key that makes it once per recipient), its text and who it
is for. Read from what the unit of work did — nothing here decides anything about the case.

- 新待办 (new_task): a task opened, for its unit and role;
- 督办 (supervision): a task of a 督办 step opened (the 督办 reaching the unit holding the case, and
  the shift lead's overdue 督办), for its unit and role, instead of 新待办;
- 退回 (returned): the dispatch task a return opened at the unit receiving the case back, instead of
  新待办;
- 核查不通过 (check_failed): the handle task a failed check opened at the handling unit, instead of
  新待办;
- 黄灯 (warning): the yellow light's notice (service `notify`, kind warning), for the unit holding
  the case;
- 超期 (overdue): the overdue penalty (the overdue timer fired), for the unit it charges — the one
  holding the case.
"""
from dataclasses import dataclass

from .. import localtime

KINDS = {"new_task": "新待办", "supervision": "督办", "returned": "退回", "check_failed": "核查不通过",
         "warning": "黄灯", "overdue": "超期"}
# The 督办 reaching the unit holding the case (督办回复, for its officers): a step of these BPMN ids
# is told as 督办, not as a new task. The overdue timer's own 督办 for the shift lead likewise.
SUPERVISION_STEPS = ("supervise_reply",)
OVERDUE_SUPERVISION_STEP = "supervise"
RETURN_STEPS = ("dispatch", "handle")     # steps whose action `return` gives the case back up
CHECK_STEP, REWORK_STEP, REDISPATCH_STEP = "check_result", "handle", "dispatch"


@dataclass(frozen=True)
class Notice:
    """One thing to tell; `task` (unit, role) or `holder` (a unit) says who is told."""

    kind: str
    source: str
    text: str
    task_id: str | None = None
    task: tuple | None = None      # (unit, role): the users who may complete the task
    holder: str | None = None      # the unit holding the case: its users working it


def event_source(event):
    return f"event:{event['instance_id']}:{event['seq']}"


def task_source(task_id):
    return f"task:{task_id}"


def _completed(events):
    return [e for e in events if e["kind"] == "task_completed"]


def _form(event):
    return (event.get("data") or {}).get("form") or {}


def _brief(case, length=24):
    text = " ".join((case.description or "").split())
    return text if len(text) <= length else text[:length] + "…"


def _opened_kind(bpmn_id, step, returned, failed_check):
    if bpmn_id in SUPERVISION_STEPS or bpmn_id == OVERDUE_SUPERVISION_STEP:
        return "supervision"
    if returned and step == REDISPATCH_STEP:
        return "returned"
    if failed_check and step == REWORK_STEP:
        return "check_failed"
    return "new_task"


def _task_text(kind, *, case, step_name, bpmn_id, directory, returned, failed_check):
    no = case.case_no
    if kind == "supervision":
        if bpmn_id == OVERDUE_SUPERVISION_STEP:
            holder = directory.name(case.holder_unit) if case.holder_unit else "承办单位"
            return f"督办：案件 {no} 已超期，请督促{holder}处置"
        return f"督办：案件 {no} 被督办，请尽快处置并回复"
    if kind == "returned":
        by = ((returned.get("data") or {}).get("meta") or {}).get("unit")
        reason = _form(returned).get("reason")
        return (f"退回：案件 {no} 被{directory.name(by) if by else '下级单位'}退回，请重新派遣"
                + (f"。理由：{reason}" if reason else ""))
    if kind == "check_failed":
        note = _form(failed_check).get("note")
        return f"核查不通过：案件 {no} 需返工" + (f"。核查说明：{note}" if note else "")
    return f"新待办「{step_name}」：案件 {no}，{_brief(case)}"


def of_unit_of_work(loaded, case, directory, *, opened):
    """The notices of one saved unit of work: its appended events (`loaded.saved_events`) and the
    open-task rows the worklist just added (`opened`; a task keeps its id while it is open, also
    across a migration to another version, so each is news once)."""
    events = loaded.saved_events or []
    completed = _completed(events)
    returned = next((e for e in completed if e["step"] in RETURN_STEPS and _form(e).get("action") == "return"), None)
    failed_check = next((e for e in completed if e["step"] == CHECK_STEP and _form(e).get("passed") is False), None)
    found = []
    for event in events:
        data = event.get("data") or {}
        if event["kind"] == "notified" and data.get("kind") == "warning" and case.holder_unit:
            due = localtime.show(case.due_at, "%m-%d %H:%M")
            found.append(Notice(kind="warning", source=event_source(event), holder=case.holder_unit,
                                text=f"黄灯预警：案件 {case.case_no} 将于 {due} 到期，请抓紧处置"))
        elif event["kind"] == "penalty" and data.get("reason") == "overdue" and data.get("unit"):
            due = localtime.show(data.get("due_at") or case.due_at, "%m-%d %H:%M")
            found.append(Notice(kind="overdue", source=event_source(event), holder=data["unit"],
                                text=f"超期：案件 {case.case_no} 已超过处置时限（{due}），"
                                     f"{directory.name(data['unit'])}被扣 {data.get('points', 0):g} 分，请立即处置"))
    ready = {str(t.id): t for t in loaded.ready_user_tasks()}
    for row in opened:
        if row["unit_code"] is None:
            continue
        spec = ready[row["task_id"]].task_spec if row["task_id"] in ready else None
        bpmn_id = spec.bpmn_id if spec is not None else row["step"]
        step_name = (spec.bpmn_name if spec is not None else None) or row["step"]
        kind = _opened_kind(bpmn_id, row["step"], returned, failed_check)
        found.append(Notice(kind=kind, source=task_source(row["task_id"]), task_id=row["task_id"],
                            task=(row["unit_code"], row["role"]),
                            text=_task_text(kind, case=case, step_name=step_name, bpmn_id=bpmn_id,
                                            directory=directory, returned=returned, failed_check=failed_check)))
    return found
