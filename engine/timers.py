"""The timer table, derived from instance state after every save: every waiting timer with its
due instant; which instances have one due; re-arming timers after their data changed. The sweep
that fires them is `engine.sweep`."""
from datetime import datetime

from sqlalchemy import delete, func, insert, select

from .models import Timer
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


def fired_marks(workflow):
    """Every (timer id, occurrence) the workflow (and its subprocesses) has fired so far."""
    tasks = [*workflow.tasks.values(), *(t for sp in workflow.subprocesses.values() for t in sp.tasks.values())]
    return {(m["timer"], m["at"]) for t in tasks if (m := t.internal_data.get(OCCURRENCE))}


def replace(session, runtime, instance_id, waiting):
    connection = session.connection()   # plain Core statements: these rows are never ORM objects
    connection.execute(delete(Timer.__table__).where(Timer.__table__.c.instance_id == instance_id))
    if waiting:
        connection.execute(insert(Timer.__table__), [
            dict(instance_id=instance_id, task_id=task_id, spec_name=name, due_at=due,
                 provisional=runtime.calendar.is_provisional(due))
            for task_id, name, due in waiting])


def due_instances(session, now: datetime, limit=None, skip_locked=False):
    """Ids of instances with a timer due at `now`, earliest first."""
    query = (select(Timer.instance_id, Timer.due_at).where(Timer.due_at <= now)
             .order_by(Timer.due_at, Timer.instance_id))
    if limit:
        query = query.limit(limit)
    if skip_locked and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    seen, ids = set(), []
    for instance_id, _ in session.execute(query):
        if instance_id not in seen:
            seen.add(instance_id)
            ids.append(instance_id)
    return ids


def due_summary(session, now: datetime):
    """(how many timers are due at `now` and not fired yet, the due instant of the oldest or None):
    one range count on the due index, for monitoring the sweep's lag."""
    count, oldest = session.execute(select(func.count(), func.min(Timer.due_at)).where(Timer.due_at <= now)).one()
    return count, oldest


def rearm(workflow):
    """Forget the computed due time of every waiting timer that has not fired yet, and recompute it
    from the task's (possibly changed) data now. A cycle that has fired already resumes no earlier
    than its next firing: an instant it fired is never fired again (a deadline extended while a
    case is overdue restarts its daily count from the new deadline, but never repeats a day)."""
    engine = workflow.script_engine
    for task in list(workflow.event_manager.tasks.values()):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition) or task.internal_data.get("event_fired"):
            continue
        before = task.internal_data.pop("event_value", None)
        if isinstance(definition, ClockCycle) and isinstance(before, dict) and before.get("next"):
            fresh = definition.initial_value(engine, engine.evaluate(task, definition.expression))
            if datetime.fromisoformat(fresh["next"]) < datetime.fromisoformat(before["next"]):
                fresh.update(next=before["next"], cycles=before["cycles"])
            task.internal_data["event_value"] = fresh
        task.task_spec._update(task)
