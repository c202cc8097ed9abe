"""The JSON of a case and of an open task, as `cases show --json`, `tasks list --json` and the API give it.

The schemas below are the one definition of those shapes: the functions dump through them, and the
OpenAPI document is generated from them."""
from marshmallow import Schema, fields
from sqlalchemy import select

from . import cases, penalties
from .worklist import OpenTask

INSTANT = {"format": "date-time"}


def _nullable(field_class, **kwargs):
    return field_class(allow_none=True, **kwargs)


class PenaltySchema(Schema):
    unit = fields.String()
    points = fields.Float()
    reason = fields.String()
    at = fields.String(metadata=INSTANT)


class OpenTaskRefSchema(Schema):
    id = fields.String()
    step = fields.String()
    unit = fields.String()
    role = fields.String()


class CaseSchema(Schema):
    """A case, exactly as `cases show --json` gives it; times in +08:00."""

    case_no = fields.String()
    status = fields.String(metadata={"enum": list(cases.STATUSES)})
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
    reported_at = fields.String(metadata=INSTANT)
    filed_at = _nullable(fields.String, metadata=INSTANT)
    due_at = _nullable(fields.String, metadata=INSTANT)
    due_provisional = fields.Boolean()
    holder_unit = _nullable(fields.String)
    holder_name = _nullable(fields.String)
    handler_unit = _nullable(fields.String)
    overdue = fields.Boolean()
    closed_at = _nullable(fields.String, metadata=INSTANT)
    merged_into = _nullable(fields.String)
    rework_count = fields.Integer()
    penalties = fields.List(fields.Nested(PenaltySchema))
    open_tasks = fields.List(fields.Nested(OpenTaskRefSchema))


class TaskSchema(Schema):
    """An open task, as `tasks list --json` gives it."""

    id = fields.String()
    case_no = fields.String()
    step = fields.String()
    role = fields.String()
    unit = fields.String()
    created_at = fields.String(metadata=INSTANT)
    category = fields.String()
    urgency = _nullable(fields.String)
    status = fields.String()
    holder_unit = _nullable(fields.String)
    due_at = _nullable(fields.String, metadata=INSTANT)
    due_provisional = fields.Boolean()


CASE, TASK = CaseSchema(), TaskSchema()


def case_json(session, runtime, directory, case):
    now = runtime.clock.now()
    overdue = bool(case.due_at and (case.closed_at or now) >= case.due_at)
    tasks = session.scalars(select(OpenTask).where(OpenTask.case_id == case.id).order_by(OpenTask.created_at))
    return CASE.dump({
        "case_no": case.case_no,
        "status": case.status,
        "category": case.category,
        "urgency": case.urgency,
        "channel": case.channel,
        "external_ref": case.external_ref,
        "description": case.description,
        "address": case.address,
        "community": case.community,
        "grid": case.grid,
        "lat": case.lat,
        "lng": case.lng,
        "reporter": case.reporter,
        "reported_at": cases.shanghai(case.reported_at),
        "filed_at": cases.shanghai(case.filed_at),
        "due_at": cases.shanghai(case.due_at),
        "due_provisional": case.due_provisional,
        "holder_unit": case.holder_unit,
        "holder_name": directory.name(case.holder_unit) if case.holder_unit else None,
        "handler_unit": case.handler_unit,
        "overdue": overdue,
        "closed_at": cases.shanghai(case.closed_at),
        "merged_into": case.merged_into,
        "rework_count": case.rework_count,
        "penalties": [{"unit": p.unit_code, "points": p.points, "reason": p.reason, "at": cases.shanghai(p.at)}
                      for p in penalties.for_case(session, case.id)],
        "open_tasks": [{"id": t.task_id, "step": t.step, "unit": t.unit_code, "role": t.role} for t in tasks],
    })


def task_json(task, case):
    return TASK.dump({"id": task.task_id, "case_no": case.case_no, "step": task.step, "role": task.role,
                      "unit": task.unit_code, "created_at": cases.shanghai(task.created_at),
                      "category": case.category, "urgency": case.urgency, "status": case.status,
                      "holder_unit": case.holder_unit, "due_at": cases.shanghai(case.due_at),
                      "due_provisional": case.due_provisional})
