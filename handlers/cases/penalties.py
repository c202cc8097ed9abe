"""Penalties (扣分): recorded against the unit holding a case when its overdue timers fire, or
against the handler on rework. Points come from the diagram's decision table and reach the
`record_penalty` service task as a parameter; one row per timer occurrence, whatever happens to
the sweep that fires it (a unique key, not luck). A penalty records when it fell due (the timer's
instant, or the rework's) beside when it was recorded: the evaluation counts it where it fell due."""
from datetime import datetime
from functools import cache

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from engine import direct, instances
from engine.db import Base
from engine.models import UTCDateTime
from engine.spiff import OCCURRENCE

from .. import localtime
from ..process import contract
from .service import case_of


class Penalty(Base):
    __tablename__ = "penalties"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(20), index=True)
    points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(30))
    occurrence: Mapped[str] = mapped_column(String(100))   # which timer firing (or step) caused it
    at: Mapped[datetime] = mapped_column(UTCDateTime)        # when it was recorded (the sweep, the step)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)   # when it fell due

    # A firing is recorded once, whatever happens to the sweep that fires it.
    __table_args__ = (UniqueConstraint("case_id", "reason", "occurrence"),)


def occurrence_of(task):
    """(occurrence, due instant or None): the timer firing a task descends from (`timer@instant`,
    due at that instant), else the task's own id (`task@id`, due when it runs)."""
    node = task
    while node is not None:
        mark = node.internal_data.get(OCCURRENCE)
        if mark:
            return f"{mark['timer']}@{mark['at']}", localtime.parse(mark["at"])
        node = node.parent
    return f"task@{task.id}", None


def current_holder(workflow):
    """The unit holding the case now: the holder of the main open step."""
    for task in instances.ready_user_tasks(workflow):
        if task.task_spec.bpmn_id not in contract.PARALLEL_STEPS:
            holder = contract.read(task.data).holder
            if holder:
                return holder
    return None


def record_penalty(call, reason, points, unit=None):
    """Service `record_penalty`: one penalty against `unit`, or the unit holding the case now."""
    if points is None:
        raise ValueError(f"no penalty points for reason {reason!r}: check the penalty_points table")
    unit = unit or current_holder(call.task.workflow)
    if unit is None:
        raise ValueError("cannot tell which unit holds the case")
    result = {"unit": unit, "points": float(points), "reason": reason}
    if not call.context.replay:
        session = call.context.session
        case = case_of(session, call.context.loaded)
        occurrence, due = occurrence_of(call.task)
        due = due or call.now
        session.add(Penalty(case_id=case.id, unit_code=unit, points=float(points), reason=reason,
                            occurrence=occurrence, at=call.now, due_at=due))
        if reason == "rework":
            case.rework_count = (case.rework_count or 0) + 1
        call.context.record("penalty", {**result, "occurrence": occurrence, "due_at": localtime.isoformat(due)})
    return result


def for_case(session, case_id):
    return for_cases(session, [case_id]).get(case_id, [])


def for_cases(session, case_ids) -> dict:
    """{case id: its penalties, in order} for several cases in one query (cases without any left out)."""
    found = {}
    for (row,) in direct.entities_each(session, _for_cases, "id", case_ids, (Penalty,)):
        found.setdefault(row.case_id, []).append(row)
    return found


@cache
def _for_cases(count):
    # Built once per count: asked for every case JSON (building it cost more than running it),
    # read past SQLAlchemy's execution (engine.direct).
    return (select(*direct.columns(Penalty)).where(direct.in_each(Penalty.case_id, "id", count))
            .order_by(Penalty.case_id, Penalty.due_at, Penalty.at, Penalty.id))
