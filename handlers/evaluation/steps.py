"""The steps of a case as the evaluation reads them: one typed row per completed step (who did
it, for which unit, what it decided, when the task had opened, the deadline right after it), per
督办 started by hand and per deadline change, written by an engine listener from the events each save appends, in the same
transaction. They are a projection of the case's hash-chained events: `expected` rebuilds them by
replaying the case, and `audit verify` compares the two."""
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from engine import direct, events, replay
from engine.db import Base
from engine.models import UTCDateTime
from engine.pipeline import PIPELINED

from .. import localtime
from ..cases import summary
from ..cases.models import Case
from ..cases.service import case_of
from ..process import contract
from ..worklist.forms import FORMS
from ..worklist.service import assignment

DEADLINE = "deadline"   # the step name of a deadline change (an extension, a suspension's stop and resume,
                        # an official-calendar recompute)


class CaseStep(Base):
    __tablename__ = "case_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)                    # the event's place in the case's stream
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    step: Mapped[str] = mapped_column(String(100))               # the step's form (accept_report ...) or "deadline"
    outcome: Mapped[str] = mapped_column(String(30))             # what it decided (file, assign, passed ...)
    unit_code: Mapped[str | None] = mapped_column(String(30), index=True)   # the unit it was done for
    role: Mapped[str | None] = mapped_column(String(20))
    actor: Mapped[str | None] = mapped_column(String(100), index=True)
    target: Mapped[str | None] = mapped_column(String(30))       # a dispatch's unit; the unit a 督办 pressed
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # when its task became open
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)      # the case's deadline right after it
    handler: Mapped[str | None] = mapped_column(String(30))           # the case's handler right after it
    status: Mapped[str | None] = mapped_column(String(20))            # the case's status right after it

    __table_args__ = (UniqueConstraint("case_id", "seq"),)


@dataclass(frozen=True)
class Step:
    """A step as it is stored and as it is rebuilt (the fields audit compares)."""

    seq: int
    at: datetime
    step: str
    outcome: str
    unit_code: str | None
    role: str | None
    actor: str | None
    target: str | None
    opened_at: datetime | None
    due_at: datetime | None
    handler: str | None
    status: str | None


def step_of(event, *, due_at, handler, status, holder=None, unit=None, role=None, opened_at=None) -> Step | None:
    """The step an event stands for (None for events that are not steps). `event` is an event row
    or the dict `instances.save` appended; the task's assignment comes from the event's `meta`,
    else from `unit`, `role`, `opened_at` (a replay's); `due_at`, `handler`, `status` and `holder`
    are the case's right after the step (a 督办's target is the holder it pressed)."""
    get = event.get if isinstance(event, dict) else lambda key: getattr(event, key)
    data = get("data") or {}
    kind, at = get("kind"), get("at")
    if kind == "task_completed" and get("step") in FORMS:
        form, meta = data.get("form") or {}, data.get("meta") or {}
        outcome = FORMS[get("step")].outcome(form)
        return Step(seq=get("seq"), at=at, step=get("step"), outcome=outcome,
                    unit_code=meta.get("unit", unit), role=meta.get("role", role), actor=get("actor"),
                    target=form.get("unit") if get("step") == "dispatch" and outcome == "assign"
                    else holder if get("step") == "supervise" else None,
                    opened_at=localtime.parse(meta["opened_at"]) if meta.get("opened_at") else opened_at,
                    due_at=due_at, handler=handler, status=status)
    if kind == "message_received" and data.get("name") == contract.SUPERVISE_MESSAGE:
        # a 督办 started by hand: the same step as the shift lead's after the overdue timer
        return Step(seq=get("seq"), at=at, step="supervise", outcome="by_hand", unit_code=None, role=None,
                    actor=get("actor"), target=holder, opened_at=None, due_at=due_at, handler=handler, status=status)
    if kind == "data_changed" and "due_at" in (data.get("after") or {}):
        outcome = (data.get("context") or {}).get("suspension") or ("recomputed" if data.get("external") else "extended")
        return Step(seq=get("seq"), at=at, step=DEADLINE, outcome=outcome,
                    unit_code=None, role=None, actor=get("actor"), target=None, opened_at=None,
                    due_at=localtime.parse(data["after"]["due_at"]), handler=handler, status=status)
    return None


_INSERT = insert(CaseStep.__table__).inline().execution_options(**PIPELINED)   # built once: runs on every step


def refresh(session, loaded):
    """Listener: the steps of what this save appended (run after the case row's, `cases.summary`)."""
    case = case_of(session, loaded)
    if case is None or not loaded.saved_events:
        return
    state = contract.read(loaded.main_task(exclude=contract.PARALLEL_STEPS).data)
    found = [step_of(e, due_at=case.due_at, handler=state.handler, status=case.status, holder=state.holder)
             for e in loaded.saved_events]
    rows = [dict(vars(s), case_id=case.id) for s in found if s is not None]   # not asdict: it deep-copies
    if rows:
        direct.send(session.connection(), _INSERT, rows)


def stored(session, case_id) -> list[Step]:
    """The stored steps of a case, in order."""
    rows = session.scalars(select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.seq))
    return [Step(**{name: getattr(r, name) for name in Step.__dataclass_fields__}) for r in rows]


class Rebuilder:
    """Rebuild a case's steps during a replay (`observe` sees the instance after each event, after
    `follower`, the case row's `cases.summary.Follower`): the unit of a completed task from its own
    role and unit expressions, when it opened from when the replay first saw it open, the deadline,
    handler and status from the replayed state."""

    def __init__(self, follower):
        self.follower, self.steps, self._opened = follower, [], {}

    def observe(self, event, loaded):
        unit = role = opened_at = None
        if event.kind == "task_completed":
            task_id = (event.data or {}).get("task_id")
            try:
                task = loaded.task(task_id)
                _, role, unit = assignment(loaded.workflow, task)
            except Exception:     # a task the replay cannot find: the replay itself reports it
                pass
            opened_at = self._opened.get(task_id)
        state = contract.read(loaded.main_task(exclude=contract.PARALLEL_STEPS).data)
        found = step_of(event, due_at=state.due_at, handler=state.handler, status=self.follower.row.status,
                        holder=state.holder, unit=unit, role=role, opened_at=opened_at)
        if found is not None:
            self.steps.append(found)
        for task in loaded.ready_user_tasks():
            self._opened.setdefault(str(task.id), event.at)


def expected(session, runtime, case):
    """(the case's steps as its events and a replay of them say, the case row's follower, the
    replay's result)."""
    stream = events.get_stream(session, events.instance_stream(case.instance_id))
    follower = summary.Follower(case, stream)
    rebuilder = Rebuilder(follower)

    def observe(event, loaded):
        follower.observe(event, loaded)
        rebuilder.observe(event, loaded)
    result = replay.replay_instance(session, runtime, case.instance_id, observe=observe)
    return rebuilder.steps, follower, result


def rebuild_missing(session, runtime):
    """After an upgrade: write the steps of every case that has events but no steps yet (recorded
    before the steps table existed), rebuilt by replaying it."""
    done = set(session.scalars(select(CaseStep.case_id).distinct()))
    for case in session.scalars(select(Case).order_by(Case.id)).all():
        if case.id in done:
            continue
        found, _, result = expected(session, runtime, case)
        if found and result.ok:
            session.execute(insert(CaseStep), [dict(case_id=case.id, **asdict(s)) for s in found])
