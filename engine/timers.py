"""The timer table, derived from instance state after every save: every waiting timer with its
due instant; which instances have one due; re-arming timers after their data changed. The sweep
that fires them is `engine.sweep`."""
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select

from . import direct
from .models import Timer
from .pipeline import PIPELINED
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition

from .spiff import OCCURRENCE, ClockCycle, TimerEventDefinition


def _due(task):
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):                 # a cycle: its next firing
        if value.get("cycles") == 0:
            return None
        value = value.get("next")
    return TimerEventDefinition.get_datetime(value) if isinstance(value, str) else None


def waiting_timers(workflow):
    """(task id, timer id, due instant) of every waiting timer, sorted."""
    found = []
    for task in workflow.event_manager.tasks.values():
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
            due = _due(task)
            if due is not None:
                found.append((str(task.id), task.task_spec.bpmn_id or task.task_spec.name, due))
    return sorted(found, key=lambda t: (t[2], t[1], t[0]))


def any_due(workflow, now: datetime) -> bool:
    """Whether letting the timers fire at `now` could change anything: a waiting timer is due, or
    one has no due instant to compare (not computed yet, a finished cycle, a timer inside another
    event definition). False lets a unit of work skip the catch-up pass, a walk of the whole tree."""
    for task in workflow.event_manager.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            due = _due(task)
            if due is None or due <= now:
                return True
        elif isinstance(definition, MultipleEventDefinition):
            return True
    return False


def fired_marks(workflow):
    """Every (timer id, occurrence) the workflow (and its subprocesses) has fired so far."""
    tasks = [*workflow.tasks.values(), *(t for sp in workflow.subprocesses.values() for t in sp.tasks.values())]
    return {(m["timer"], m["at"]) for t in tasks if (m := t.internal_data.get(OCCURRENCE))}


# Plain Core statements, built once: these rows are never ORM objects.
_DELETE = (delete(Timer.__table__).where(Timer.__table__.c.instance_id == bindparam("instance_id"))
           .execution_options(**PIPELINED))
_INSERT = insert(Timer.__table__).inline().execution_options(**PIPELINED)
_DELETE_MANY = (delete(Timer.__table__).where(Timer.__table__.c.instance_id.in_(bindparam("ids", expanding=True)))
                .execution_options(**PIPELINED))


def replace(session, runtime, instance_id, waiting, *, fresh=False):
    """The instance's timer rows are now `waiting`'s; `fresh`: it has none yet (a new instance)."""
    connection = session.connection()
    if not fresh:
        direct.send(connection, _DELETE, {"instance_id": instance_id})
    if waiting:
        direct.send(connection, _INSERT, [
            dict(instance_id=instance_id, task_id=task_id, spec_name=name, due_at=due,
                 provisional=runtime.calendar.is_provisional(due))
            for task_id, name, due in waiting])


def replace_many(session, runtime, waiting_by_instance):
    """`replace` for several instances at once ({instance id: its waiting timers}): one DELETE and
    one INSERT for them all."""
    if not waiting_by_instance:
        return
    connection = session.connection()
    connection.execute(_DELETE_MANY, {"ids": list(waiting_by_instance)})
    rows = [dict(instance_id=instance_id, task_id=task_id, spec_name=name, due_at=due,
                 provisional=runtime.calendar.is_provisional(due))
            for instance_id, waiting in waiting_by_instance.items() for task_id, name, due in waiting]
    if rows:
        direct.send(connection, _INSERT, rows)


def due_instances(session, now: datetime, limit=None):
    """Ids of instances with a timer due at `now`, the earliest due first. Reads only: whoever
    fires them claims the instance rows (engine.sweep.claim)."""
    earliest = func.min(Timer.due_at)
    query = (select(Timer.instance_id).where(Timer.due_at <= now).group_by(Timer.instance_id)
             .order_by(earliest, Timer.instance_id))
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def due_summary(session, now: datetime):
    """(how many timers are due at `now` and not fired yet, the due instant of the oldest or None):
    what the sweep has still to do, one range count on the due index, for monitoring the sweep's
    lag (now minus that instant)."""
    count, oldest = session.execute(select(func.count(), func.min(Timer.due_at)).where(Timer.due_at <= now)).one()
    return count, oldest


def rearm(workflow):
    """Forget the computed due time of every waiting timer that has not fired yet, and recompute it
    from the task's (possibly changed) data now. A cycle that has fired already resumes no earlier
    than its next firing: an instant it fired is never fired again (a deadline extended while a
    case is overdue restarts its daily count from the new deadline, but never repeats a day). One
    that has not fired yet simply starts where its data now says, earlier or later."""
    engine = workflow.script_engine
    for task in list(workflow.event_manager.tasks.values()):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition) or task.internal_data.get("event_fired"):
            continue
        before = task.internal_data.pop("event_value", None)
        if isinstance(definition, ClockCycle) and isinstance(before, dict) and before.get("next"):
            fresh = definition.initial_value(engine, engine.evaluate(task, definition.expression))
            fired = before.get("cycles") != fresh["cycles"]     # each firing counts the cycles down
            if fired and datetime.fromisoformat(fresh["next"]) < datetime.fromisoformat(before["next"]):
                fresh.update(next=before["next"], cycles=before["cycles"])
            task.internal_data["event_value"] = fresh
        task.task_spec._update(task)
