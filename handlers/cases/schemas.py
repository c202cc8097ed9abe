"""The JSON of a case, as `cases show --json` and the API give it: one schema, which the CLI and
the API dump through and the OpenAPI document is generated from. Times are written in Beijing
time by one field (`Instant`)."""
from dataclasses import dataclass
from functools import cache

from marshmallow import Schema, fields
from sqlalchemy import select

from engine import direct

from .. import localtime
from ..jsondump import dumper
from ..worklist.models import OpenTask
from . import deadlines, penalties, suspension
from .statuses import STATUSES


class Instant(fields.DateTime):
    """An aware instant, written in Beijing time: ISO 8601 with its +08:00 offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        return localtime.isoformat(value)


def _nullable(field_class, **kwargs):
    return field_class(allow_none=True, **kwargs)


class PenaltySchema(Schema):
    unit = fields.String(attribute="unit_code")
    points = fields.Float()
    reason = fields.String()
    at = Instant()


class OpenTaskRefSchema(Schema):
    id = fields.String(attribute="task_id")
    step = fields.String()
    unit = fields.String(attribute="unit_code")
    role = fields.String()


class SuspensionSchema(Schema):
    """The suspension (挂起) of a suspended case."""

    reason = fields.String()
    resume_on = fields.String(metadata={"description": "the expected resume date (Beijing), e.g. 2026-04-08"})
    suspended_at = fields.String(metadata={"description": "when the clock stopped (+08:00)"})
    resume_at = fields.String(metadata={"description": "when the diagram's timer resumes it at the latest (+08:00)"})


class CaseSchema(Schema):
    """A case, exactly as `cases show --json` gives it; times in +08:00."""

    case_no = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    category = fields.String()
    urgency = _nullable(fields.String)
    channel = fields.String()
    external_ref = _nullable(fields.String)
    description = fields.String()
    address = fields.String()
    community = _nullable(fields.String)
    grid = _nullable(fields.String)
    lat = _nullable(fields.Float)
    lng = _nullable(fields.Float)
    reporter = _nullable(fields.String)
    reported_at = Instant()
    filed_at = _nullable(Instant)
    due_at = _nullable(Instant)
    due_provisional = fields.Boolean()
    holder_unit = _nullable(fields.String)
    holder_name = _nullable(fields.String)
    handler_unit = _nullable(fields.String)
    overdue = fields.Boolean()
    closed_at = _nullable(Instant)
    merged_into = _nullable(fields.String)
    rework_count = fields.Integer()
    penalties = fields.List(fields.Nested(PenaltySchema))
    open_tasks = fields.List(fields.Nested(OpenTaskRefSchema))
    suspension = fields.Nested(SuspensionSchema, allow_none=True,
                               metadata={"description": "while the case is suspended (status suspended): why and until when; else null"})


CASE = CaseSchema()
_DUMP_CASE = dumper(CASE)     # CASE.dump, faster (tests/handlers/test_jsondump.py)


@dataclass
class CaseView:
    """A case row with what its JSON shows beside the row's own fields."""

    case: object
    holder_name: str | None
    overdue: bool
    penalties: list
    open_tasks: list
    suspension: dict | None = None

    def __getattr__(self, name):
        return getattr(self.case, name)


@cache
def _open_tasks(count):
    # built once per count: asked for every case JSON (read past SQLAlchemy's execution, engine.direct)
    return (select(*direct.columns(OpenTask)).where(direct.in_each(OpenTask.case_id, "id", count))
            .order_by(OpenTask.case_id, OpenTask.created_at))


def case_json(session, runtime, directory, case):
    """The case JSON of a case row, at the clock's now."""
    return cases_json(session, runtime, directory, [case])[0]


def cases_json(session, runtime, directory, cases):
    """The case JSON of each case row (a list's page), at the clock's now: their open tasks and
    penalties read in one query each, not two per case."""
    ids = [case.id for case in cases]
    open_tasks = {}
    for (task,) in direct.entities_each(session, _open_tasks, "id", ids, (OpenTask,)):
        open_tasks.setdefault(task.case_id, []).append(task)
    fined, now = penalties.for_cases(session, ids), runtime.clock.now()
    return [_DUMP_CASE(CaseView(case, holder_name=directory.name(case.holder_unit) if case.holder_unit else None,
                               overdue=deadlines.is_overdue(case.due_at, case.closed_at or now),
                               penalties=fined.get(case.id, []), open_tasks=open_tasks.get(case.id, []),
                               suspension=suspension.current(session, case)))
            for case in cases]
