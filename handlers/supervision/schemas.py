"""The JSON of a dashboard, as the API and the web page read it: the schemas the API dumps through
and the OpenAPI document is generated from."""
from marshmallow import Schema, fields

from ..cases import search
from ..evaluation.schemas import PeriodSchema, RowSchema
from ..jsondump import dumper

QUERY = fields.Dict(keys=fields.String(), values=fields.String(),
                    metadata={"description": "the case-list filters of the figure's cases: the same query string "
                                             "on `/cases` (the web list) and `GET /api/v1/cases` lists exactly "
                                             "`value` cases"})


class FigureSchema(Schema):
    """A count and the case list of exactly its cases."""

    key = fields.String(metadata={"description": "what is counted (a channel, a status, a light, an urgency, ...)"})
    label = fields.String(allow_none=True, metadata={"description": "a name from the data (a category class)"})
    value = fields.Integer()
    query = QUERY
    link = fields.String(metadata={"description": "the web case list of these cases"})


class RateSchema(Schema):
    """The evaluation's 按期处置率 (按期处置数 ÷ 应处置数) of the scope for the period."""

    value = fields.Float(allow_none=True, metadata={"description": "a fraction; null: nothing due, or a unit the "
                                                                   "evaluation does not rate (a grid)"})
    on_time = fields.Integer(allow_none=True, metadata={"description": "按期处置数"})
    due = fields.Integer(allow_none=True, metadata={"description": "应处置数"})
    query = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "the evaluation page's (and GET /api/v1/evaluation's) query"})
    link = fields.String(allow_none=True)


class FlowsSchema(Schema):
    """What happened in a period (counted by when it happened, Beijing dates)."""

    reported = fields.Nested(FigureSchema, metadata={"description": "上报数 (the evaluation's, for the areas it rates)"})
    channels = fields.List(fields.Nested(FigureSchema), metadata={"description": "reports by channel"})
    filed = fields.Nested(FigureSchema, metadata={"description": "立案数"})
    closed = fields.Nested(FigureSchema, metadata={"description": "结案数"})
    on_time_rate = fields.Nested(RateSchema)


class TodaySchema(FlowsSchema):
    date = fields.String(metadata={"format": "date"})


class DaySchema(Schema):
    date = fields.String(metadata={"format": "date"})
    reported = fields.Nested(FigureSchema)
    closed = fields.Nested(FigureSchema)


class MonthSchema(FlowsSchema):
    categories = fields.List(fields.Nested(FigureSchema),
                             metadata={"description": "the month's reports by major class (key: its 4 digits)"})
    daily = fields.List(fields.Nested(DaySchema), metadata={"description": "per day of the month, up to today"})


class AgeSchema(Schema):
    """Open cases reported `fewest` to `most` calendar days ago (Beijing dates), by urgency."""

    key = fields.String()
    fewest = fields.Integer()
    most = fields.Integer(allow_none=True)
    figures = fields.List(fields.Nested(FigureSchema),
                          metadata={"description": f"one per urgency: {', '.join(search.URGENCIES)}"})


class CurrentSchema(Schema):
    """The open cases now."""

    open = fields.Nested(FigureSchema)
    statuses = fields.List(fields.Nested(FigureSchema), metadata={"description": "one per open status"})
    due_today = fields.Nested(FigureSchema, metadata={"description": "open, the deadline falls today"})
    overdue = fields.Nested(FigureSchema, metadata={"description": "open and past the deadline (超期未结案)"})
    lights = fields.List(fields.Nested(FigureSchema), metadata={"description": "green, yellow, red"})
    ages = fields.List(fields.Nested(AgeSchema))


class RankingRowSchema(RowSchema):
    cases_query = QUERY
    cases_link = fields.String()


class RankingSchema(Schema):
    levels = fields.List(fields.String(), metadata={"description": "the evaluation levels of the rows"})
    level_names = fields.List(fields.String())
    rows = fields.List(fields.Nested(RankingRowSchema),
                       metadata={"description": "the evaluation's rows of the units one level down, in its order"})


class UnitSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    cases_query = QUERY
    cases_link = fields.String()


class PlaceSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()


class ChoiceSchema(PlaceSchema):
    depth = fields.Integer(metadata={"description": "levels below the viewer's top unit"})


class DashboardSchema(Schema):
    """The dashboard (态势) of a unit for a month and today, as the caller may see it."""

    unit = fields.Nested(UnitSchema)
    path = fields.List(fields.Nested(PlaceSchema),
                       metadata={"description": "from the caller's top unit down to this one"})
    choices = fields.List(fields.Nested(ChoiceSchema), metadata={"description": "the units the caller may pick"})
    period = fields.Nested(PeriodSchema)
    now = fields.String(metadata={"format": "date-time"})
    rules_version = fields.Integer()
    today = fields.Nested(TodaySchema)
    month = fields.Nested(MonthSchema)
    current = fields.Nested(CurrentSchema)
    ranking = fields.Nested(RankingSchema)
    standing = fields.Nested(RowSchema, allow_none=True,
                             metadata={"description": "the unit's own evaluation row among its peers (null: the city)"})


dashboard_json = dumper(DashboardSchema())     # DashboardSchema().dump, faster (handlers.jsondump)
