"""The case row, derived from the process after every step (an engine listener): status, grading,
deadline, holder and handler, the units the case belongs to, how it ended. Written in the same
transaction as the step; `audit.verify` rebuilds it from the replayed process to check it."""
from types import SimpleNamespace

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value

from engine import direct, instances
from engine.pipeline import PIPELINED

from ..process import contract
from .deadlines import overdue_from
from .models import UNIT_COPIES, Case, CaseUnit
from .service import case_of
from .statuses import END_STATUS
from .visibility import seeing, unit_row, units_of

# scratch key: the case's (status, filed_at) before this unit of work, for the listeners after this
# one that act on a transition (filed, ended: `callbacks.messages`)
BEFORE = "case_before"


def derive(case, loaded, *, completed, end_event, at):
    """The summary fields of `case` as the loaded instance's state says (a dict, nothing written):
    `completed` and `end_event` say how the process ended, `at` is the instant of the unit of work."""
    main = loaded.main_task(exclude=contract.PARALLEL_STEPS)
    state = contract.read(main.data)
    fields = dict(filed_at=state.filed_at, due_at=state.due_at, warn_at=state.warn_at,
                  due_provisional=state.due_provisional, handler_unit=state.handler or case.handler_unit,
                  reached=sorted(units_of(case, state)))
    if state.filed:   # filed: the intake operator's grading is now the case's
        fields.update(urgency=state.urgency, category=state.category or case.category)
    if completed:
        fields.update(status=END_STATUS.get(end_event, end_event or "completed"),
                      closed_at=case.closed_at or at, holder_unit=None)
        if end_event == "merged":
            fields["merged_into"] = state.duplicate_of
    else:
        fields.update(status=contract.step_properties(main.task_spec).get("status", case.status),
                      holder_unit=state.holder)
    fields["overdue_from"] = overdue_from(fields["due_at"], fields.get("closed_at", case.closed_at))
    return fields


# Built once (they run on every step); the UPDATE's SET clause is the parameters' columns.
_UPDATE = update(Case.__table__).where(Case.__table__.c.id == bindparam("_id")).execution_options(**PIPELINED)
# the units above a new one may see the case already (one of its units was below them)
_REACHED = {name: dialect_insert(CaseUnit.__table__).inline().on_conflict_do_nothing().execution_options(**PIPELINED)
            for name, dialect_insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))}
# the case's columns its units' rows hold (models.UNIT_COPIES), when one of them changed
_COPY = (update(CaseUnit.__table__).where(CaseUnit.__table__.c.case_id == bindparam("_id"))
         .execution_options(**PIPELINED))


def make_refresh(directory):
    """The engine listener that brings the case row (and its units' index: the units that see
    it, `visibility.seeing`, from the org `directory`) up to date with the instance after a save.
    A stored row gets one plain UPDATE of the fields that changed (set on the object as committed
    values: the ORM's flush of it cost more than the statement); a case reported in this unit of
    work is still the ORM's to insert."""
    def refresh(session, loaded):
        case = case_of(session, loaded)
        if case is None:
            return
        before = set(case.reached or [])
        loaded.scratch[BEFORE] = (case.status, case.filed_at)
        instance = loaded.instance
        fields = derive(case, loaded, completed=instance.completed, end_event=instance.end_event,
                        at=instance.updated_at)
        if case in session.new:
            for name, value in fields.items():
                setattr(case, name, value)
        else:
            changed = {name: value for name, value in fields.items() if getattr(case, name) != value}
            if changed:
                direct.send(session.connection(), _UPDATE, dict(changed, _id=case.id))
                for name, value in changed.items():
                    set_committed_value(case, name, value)
                copied = {name: changed[name] for name in UNIT_COPIES if name in changed}
                if copied:      # before the new units' rows below, which are written with them
                    direct.send(session.connection(), _COPY, dict(copied, _id=case.id))
        added = set(case.reached) - before
        if added:
            rows = [unit_row(case, u) for u in sorted(seeing(session, added, directory))]
            direct.send(session.connection(), _REACHED[session.bind.dialect.name], rows)
    return refresh


class Follower:
    """The case row as this listener keeps it, followed through a replay of the case's events
    (`observe` after each one): what the row should be, for audits and rebuilds."""

    def __init__(self, case, stream):
        started = next((e for e in stream if e.kind == "started"), None)
        report = (started.data or {}).get("data", {}) if started else {}
        self.row = SimpleNamespace(**{k: report.get(k) for k in contract.REPORT_FIELDS}, reached=[],
                                   status="accepting", urgency=None, filed_at=None, due_at=None, warn_at=None,
                                   due_provisional=False, holder_unit=None, handler_unit=None, merged_into=None,
                                   closed_at=None, overdue_from=None, rework_count=0)
        self.row.community, self.row.grid = case.community, case.grid   # as located when reported

    def observe(self, event, loaded):
        for name, value in derive(self.row, loaded, completed=loaded.workflow.is_completed(),
                                  end_event=instances.end_event(loaded.workflow), at=event.at).items():
            setattr(self.row, name, value)
