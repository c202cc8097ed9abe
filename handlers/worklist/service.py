"""Open tasks: kept in step with the instance after every step (an engine listener), listed for a
user, and completed through the permission, form and context checks."""
from functools import cache

from sqlalchemy import bindparam, delete, insert, select

from engine import direct, instances
from engine.models import Instance
from engine.pipeline import PIPELINED

from .. import localtime
from ..cases.models import Case
from ..cases.service import case_of
from ..errors import PermissionDenied
from ..org.models import User
from ..process import contract
from .forms import FORMS, StepContext
from .models import OpenTask


def assignment(workflow, task):
    """(step, role, unit) of a ready user task, from its `form`, `role` and `unit` properties."""
    props = contract.step_properties(task.task_spec)
    engine = workflow.script_engine
    role = engine.evaluate(task, props["role"]) if props.get("role") else None
    unit = engine.evaluate(task, props["unit"]) if props.get("unit") else None
    return props.get("form", task.task_spec.bpmn_id), role, unit


_OPEN = insert(OpenTask.__table__).inline().execution_options(**PIPELINED)
_CLOSE = (delete(OpenTask.__table__).where(OpenTask.__table__.c.task_id == bindparam("task_id"))
          .execution_options(**PIPELINED))
OPENED = "worklist.opened"   # where `refresh` leaves the rows it added, in loaded.scratch


def refresh(session, loaded):
    """Listener: make the open_tasks rows match the instance's READY user tasks. The rows it added
    stay in `loaded.scratch[OPENED]` for the listeners after it."""
    case = case_of(session, loaded)
    if case is None:
        return
    ready = {str(t.id): t for t in loaded.ready_user_tasks()}
    # The rows are the READY user tasks the last save left, which the instance was loaded with.
    existing = loaded.ready_at_load
    gone = existing - set(ready)
    connection = session.connection()   # plain Core: no ORM objects needed
    if gone:
        direct.send(connection, _CLOSE, [{"task_id": task_id} for task_id in sorted(gone)])
    now = loaded.workflow.script_engine.now()
    added = []
    for task_id in sorted(set(ready) - existing):
        step, role, unit = assignment(loaded.workflow, ready[task_id])
        added.append(dict(task_id=task_id, instance_id=loaded.id, case_id=case.id, step=step, role=role,
                          unit_code=unit, created_at=now))
    if added:
        direct.send(connection, _OPEN, added)
    loaded.scratch[OPENED] = added


def assigned_to(row):
    """What the completion event records of the task: the unit and role it was assigned to and
    when it became open (the evaluation counts by them)."""
    return {"unit": row.unit_code, "role": row.role, "opened_at": localtime.isoformat(row.created_at)}


def units_acting_for(directory, user):
    """The task units a user acts for: their own, and for a grid worker also their community
    (a grid worker takes the community's checks when a case has no grid)."""
    units = [user.unit_code]
    if user.role == "grid" and directory.parent(user.unit_code):
        units.append(directory.parent(user.unit_code))
    return units


# The statements asked on every step, built once (building one cost more than running it).
# Users as plain rows (id, username, display_name, role, unit_code), never changed through them.
USER_COLUMNS = (User.id, User.username, User.display_name, User.role, User.unit_code)
_ACTING_FOR = (select(*USER_COLUMNS).where(User.role == bindparam("role"), User.unit_code.in_(bindparam("units", expanding=True)),
                                  User.active.is_(True)).order_by(User.id))
_LISTS = {}


@cache
def _task_case_instance():
    # one query, read past SQLAlchemy's execution (engine.direct.entities)
    return (select(*direct.columns(OpenTask), *direct.columns(Case), *direct.columns(Instance))
            .join(Case, Case.id == OpenTask.case_id).join(Instance, Instance.id == OpenTask.instance_id)
            .where(OpenTask.task_id == bindparam("task_id")))


def task_units(directory, *, unit, role):
    """The units whose users of `role` may complete a task of `unit` (the converse of
    `units_acting_for`): the unit, and for a community's grid task its grids."""
    units = [unit]
    if role == "grid":
        units += [code for code in directory.children(unit) if directory.kind(code) == "grid"]
    return units


def users_acting_for(session, directory, *, unit, role):
    """The active users who may complete a task of `unit` and `role` (those of `task_units`), as
    rows with the `USER_COLUMNS`."""
    return session.execute(_ACTING_FOR, {"role": role, "units": task_units(directory, unit=unit, role=role)}).all()


def may_complete(directory, user, task):
    """Whether `user` may complete the open task: its role, and one of the units they act for."""
    return user.role == task.role and task.unit_code in units_acting_for(directory, user)


def list_tasks(session, directory, *, user=None, case_no=None):
    """Open tasks, newest first: all of them, or those the user may complete."""
    units = units_acting_for(directory, user) if user is not None else []
    # built once per shape, each unit its own parameter (direct.in_each): one or two units
    shape = (bool(case_no), user is not None, len(units))
    query = _LISTS.get(shape)
    if query is None:
        query = select(*direct.columns(OpenTask), *direct.columns(Case)).join(Case, Case.id == OpenTask.case_id)
        if case_no:
            query = query.where(Case.case_no == bindparam("case_no"))
        if user is not None:
            query = query.where(OpenTask.role == bindparam("role"), direct.in_each(OpenTask.unit_code, "unit", len(units)))
        query = _LISTS[shape] = query.order_by(OpenTask.created_at.desc(), OpenTask.task_id)
    params = {"case_no": case_no} if case_no else {}
    if user is not None:
        params.update(direct.each("unit", units), role=user.role)
    return direct.entities(session, query, params, (OpenTask, Case))


@cache
def _schema(schema_class):
    """One instance of each step's schema, shared: building one copies its declared fields (it cost
    more than loading a form), and loading keeps nothing on the instance."""
    return schema_class()


def open_task(session, task_id):
    """(the open task's row, its case, its instance) in one query (instances.load then finds the
    instance in the session), or None."""
    found = direct.entities(session, _task_case_instance(), {"task_id": str(task_id)}, (OpenTask, Case, Instance))
    return found[0] if found else None


def complete(session, runtime, directory, *, user, task_id, data, found=None):
    """Complete an open task as `user` with form `data`; returns the case. `found`: what
    `open_task` gave for it in this unit of work, when the caller asked already.

    Raises instances.NotFound (no such open task), PermissionDenied, ValidationError (422 with
    field messages) or instances.Conflict (someone else completed or changed it meanwhile).
    """
    found = found or open_task(session, task_id)
    if found is None:
        raise instances.NotFound(f"no open task {task_id}")
    row, case, _instance = found
    if not may_complete(directory, user, row):
        raise PermissionDenied(f"{user.username} ({user.role}, {user.unit_code}) may not complete this "
                               f"{row.step} task of unit {row.unit_code}")
    schema_class = FORMS.get(row.step)
    if schema_class is None:
        raise instances.NotFound(f"step {row.step!r} has no form")
    schema = _schema(schema_class)
    form = schema.load(data)
    loaded = instances.load(session, runtime, row.instance_id, actor=user.username)
    loaded.scratch["case"] = case
    task = loaded.task(task_id)
    schema.in_context(form, StepContext(session=session, directory=directory, case=case,
                                        state=contract.read(task.data), now=loaded.context.at,
                                        calendar=runtime.calendar.calendar, steps=frozenset(task.workflow.spec.task_specs),
                                        data=task.data))
    # An optional field left empty does not wipe what the case already knows (e.g. its category).
    values = {k: v for k, v in form.items() if v is not None or task.data.get(k) is None}
    instances.complete_task(loaded, task, values, meta=assigned_to(row))
    instances.save(session, runtime, loaded)
    return case
