"""Open tasks (待办): derived from the instance after every step, with the role and unit that may
complete each; listing them for a user; completing one through the permission and form checks."""
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from engine import instances
from engine.db import Base
from engine.models import Instance, UTCDateTime

from . import cases, forms


class PermissionDenied(Exception):
    """The user's role and unit do not allow this."""


class OpenTask(Base):
    __tablename__ = "open_tasks"
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    step: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    unit_code: Mapped[str] = mapped_column(String(30), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def assignment(workflow, task):
    """(step, role, unit) of a ready user task, from its `form`, `role` and `unit` properties."""
    props = task.task_spec.extensions.get("properties", {})
    engine = workflow.script_engine
    role = engine.evaluate(task, props["role"]) if props.get("role") else None
    unit = engine.evaluate(task, props["unit"]) if props.get("unit") else None
    return props.get("form", task.task_spec.bpmn_id), role, unit


def refresh(session, loaded):
    """Listener: make the open_tasks rows match the instance's READY user tasks."""
    case = cases.case_of(session, loaded)
    if case is None:
        return
    ready = {str(t.id): t for t in loaded.ready_user_tasks()}
    existing = loaded.ready_at_load      # the rows written when the instance was last saved
    gone = existing - set(ready)
    if gone:
        session.execute(delete(OpenTask).where(OpenTask.task_id.in_(gone)))
    now = loaded.workflow.script_engine.now()
    for task_id in set(ready) - existing:
        step, role, unit = assignment(loaded.workflow, ready[task_id])
        session.add(OpenTask(task_id=task_id, instance_id=loaded.id, case_id=case.id, step=step,
                             role=role, unit_code=unit, created_at=now))


def may_complete(directory, user, task):
    """Role must match; the unit must be the task's, or for grid workers a grid of the task's community."""
    if user.role != task.role:
        return False
    if user.unit_code == task.unit_code:
        return True
    return user.role == "grid" and directory.parent(user.unit_code) == task.unit_code


def list_tasks(session, directory, *, user=None, case_no=None):
    """Open tasks, newest first: all of them, or those the user may complete."""
    query = select(OpenTask, cases.Case).join(cases.Case, cases.Case.id == OpenTask.case_id)
    if case_no:
        query = query.where(cases.Case.case_no == case_no)
    if user is not None:
        units = [user.unit_code]
        if user.role == "grid" and directory.parent(user.unit_code):
            units.append(directory.parent(user.unit_code))
        query = query.where(OpenTask.role == user.role, OpenTask.unit_code.in_(units))
    rows = session.execute(query.order_by(OpenTask.created_at.desc(), OpenTask.task_id))
    return [(task, case) for task, case in rows]


def _invalid(field, message):
    return ValidationError({field: [message]})


def check_context(session, directory, *, step, form, task_data, case):
    """The checks a schema cannot make alone: they depend on where the case stands."""
    if step == "accept_report" and form["decision"] == "merge":
        target = cases.get_by_no(session, form["duplicate_of"])
        if target is None or target.id == case.id or target.status in cases.END_STATUS.values():
            raise _invalid("duplicate_of", f"没有可并入的在办案件 {form['duplicate_of']}")
    if step == "dispatch":
        holder = task_data.get("holder")
        if form["action"] == "assign" and directory.parent(form["unit"]) != holder:
            raise _invalid("unit", f"{form['unit']} 不是 {directory.name(holder)} 的下级单位")
        if form["action"] == "assign" and directory.kind(form["unit"]) == "grid":
            raise _invalid("unit", "不能派遣到网格，请派遣到社区或部门")
        if form["action"] == "return" and holder == task_data.get("center"):
            raise _invalid("action", "指挥中心不能退回")
    if step == "handle" and form["action"] == "return" and len(task_data.get("chain") or []) < 2:
        raise _invalid("action", "指挥中心自行处置的案件不能退回")
    if step == "approve_extension" and form["approved"] and not form.get("working_days"):
        form["working_days"] = task_data.get("working_days")


def complete(session, runtime, directory, *, user, task_id, data):
    """Complete an open task as `user` with form `data`.

    Raises instances.NotFound (no such open task), PermissionDenied, ValidationError (422 with
    field messages) or instances.Conflict (someone else completed or changed it meanwhile).
    """
    # One query for the task, its case and its instance (instances.load then finds it in the session).
    found = session.execute(
        select(OpenTask, cases.Case, Instance).join(cases.Case, cases.Case.id == OpenTask.case_id)
        .join(Instance, Instance.id == OpenTask.instance_id).where(OpenTask.task_id == str(task_id))).first()
    if found is None:
        raise instances.NotFound(f"no open task {task_id}")
    row, case, _instance = found
    if not may_complete(directory, user, row):
        raise PermissionDenied(f"{user.username} ({user.role}, {user.unit_code}) may not complete this "
                               f"{row.step} task of unit {row.unit_code}")
    schema = forms.FORMS.get(row.step)
    if schema is None:
        raise instances.NotFound(f"step {row.step!r} has no form")
    form = schema().load(data)
    loaded = instances.load(session, runtime, row.instance_id, actor=user.username)
    loaded.scratch["case"] = case
    task = loaded.task(task_id)
    check_context(session, directory, step=row.step, form=form, task_data=task.data, case=case)
    # An optional field left empty does not wipe what the case already knows (e.g. its category).
    values = {k: v for k, v in form.items() if v is not None or task.data.get(k) is None}
    instances.complete_task(loaded, task, values)
    instances.save(session, runtime, loaded)
    return case
