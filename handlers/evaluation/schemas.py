"""The JSON of an evaluation, as the API and `evaluation report --format json` give it: the
schemas the API dumps through and the OpenAPI document is generated from."""
from marshmallow import Schema, fields

from .report import LEVELS


def _count(description):
    return fields.Integer(metadata={"description": description})


def _rate(description):
    return fields.Float(allow_none=True, metadata={"description": f"{description} (a fraction; null: nothing to divide)"})


class HandlingSchema(Schema):
    """A unit's handling (its own and, for districts and streets, everything below it); the units
    outside the reader's subtree show only composite, score and grade."""

    due = _count("应处置数 = handled + overdue_open")
    handled = _count("已处置数: handlings ended handled (check passed) in the period")
    on_time = _count("按期处置数")
    late = _count("超期处置数")
    overdue_open = _count("超期未处置数: open at the period's end (or now) and past the deadline")
    rework = _count("返工数: failed checks in the period")
    returned = _count("退回数")
    extension_requests = _count("延期申请数")
    extensions_approved = _count("延期批准数")
    suspension_requests = _count("挂起申请数")
    suspensions_approved = _count("挂起批准数")
    suspended_hours = fields.Float(metadata={"description": "挂起时长: working hours the unit's handlings stood suspended in the period"})
    supervised = _count("督办数: 督办 that reached the unit in the period")
    replies = _count("督办回复数: of those, answered by the period's end (or now)")
    replies_on_time = _count("按时回复数: answered within the rules' reply limit")
    replies_due = _count("应回复数: answered by the end, or past the limit then")
    reply_rate = _rate("督办回复及时率 = replies_on_time / replies_due")
    follow_ups = _count("回访数: 回访 of hotline cases the unit handled, recorded in the period")
    satisfied = _count("满意数")
    basically_satisfied = _count("基本满意数")
    dissatisfied = _count("不满意数")
    satisfaction_rate = _rate("满意率 = (satisfied + basically_satisfied) / follow_ups")
    on_time_rate = _rate("按期处置率 = on_time / due")
    handled_rate = _rate("处置率 = handled / due")
    rework_rate = _rate("返工率 = rework / (handled + rework)")
    points = fields.Float(metadata={"description": "扣分: points of the penalties that fell due in the period"})
    score = fields.Float(metadata={"description": "得分 = base − points"})
    composite = fields.Float(allow_none=True, metadata={"description": "综合指标值, 0–100"})
    grade = fields.String(allow_none=True, metadata={"description": "等级 (evaluation_grades.dmn)"})


class AreaSchema(Schema):
    """An area's cases (by where they are, whoever handled them)."""

    reported = _count("上报数")
    filed = _count("立案数")
    closed = _count("结案数")
    on_time_closed = _count("按期结案数")
    overdue_open = _count("超期未结案数")
    due_close = _count("应结案数 = closed + overdue_open")
    close_rate = _rate("结案率")
    on_time_close_rate = _rate("按期结案率")
    on_spot = _count("当场处置数")
    voided = _count("作废数")
    merged = _count("并案数")
    composite = fields.Float(allow_none=True, metadata={"description": "区域综合指标值, 0–100"})
    grade = fields.String(allow_none=True)


class RowSchema(Schema):
    """A unit (district, street, community, department) or a person (command-center post, grid
    worker) with its figures."""

    unit = fields.String(metadata={"description": "the unit's code (a person's: their unit)"})
    name = fields.String()
    kind = fields.String(metadata={"description": "units: district, street, community, department"})
    parent = fields.String(allow_none=True)
    parent_name = fields.String(allow_none=True)
    rank = fields.Integer(allow_none=True, metadata={"description": "within the unit's group; equal composites share it"})
    of = fields.Integer(metadata={"description": "how many units the group ranks"})
    rank_text = fields.String(metadata={"description": "e.g. 3 / 6"})
    detail = fields.Boolean(metadata={"description": "false: a unit outside the reader's subtree (totals only)"})
    handling = fields.Nested(HandlingSchema)
    area = fields.Nested(AreaSchema, allow_none=True)
    area_rank = fields.Integer(allow_none=True)
    area_of = fields.Integer(allow_none=True)
    user = fields.String(metadata={"description": "a person's username (job and grid levels)"})
    role = fields.String()
    unit_name = fields.String()
    figures = fields.Dict(metadata={"description": "a person's indicators (README: evaluation)"})


class PeriodSchema(Schema):
    label = fields.String(metadata={"description": "2026-11, 2026-Q4, 2026 or 2026-11-03..2026-11-20"})
    title = fields.String()
    date_from = fields.String(data_key="from", attribute="from", metadata={"format": "date"})
    to = fields.String(metadata={"format": "date"})


class EvaluationSchema(Schema):
    """The evaluation of a period at one level."""

    period = fields.Nested(PeriodSchema)
    level = fields.String(metadata={"enum": list(LEVELS)})
    unit = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    rules_version = fields.Integer(metadata={"description": "the process version whose evaluation tables were used"})
    computed_at = fields.String(metadata={"format": "date-time"})
    definitions = fields.String()
    rows = fields.List(fields.Nested(RowSchema))


class UnitDetailSchema(RowSchema):
    """One unit with the case numbers behind each of its numbers."""

    period = fields.Nested(PeriodSchema)
    cases = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                        metadata={"description": "handling indicator -> the case numbers counted in it"})
    area_cases = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), allow_none=True)
