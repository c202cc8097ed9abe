"""The JSON of the map, as the API and the web page's data request give it: the schemas they dump
through and the OpenAPI document is generated from. Times in +08:00."""
from marshmallow import Schema, fields

from ..cases.schemas import Instant
from ..cases.statuses import STATUSES
from ..jsondump import dumper
from .points import REPORTED, UNIT
from .service import LIGHTS


def _nullable(field_class, **kwargs):
    return field_class(allow_none=True, **kwargs)


class MapPeriodSchema(Schema):
    label = fields.String(metadata={"description": "2026-11, 2026-Q4, 2026 or 2026-11-03..2026-11-20"})
    title = fields.String(metadata={"description": "in Chinese, e.g. 2026年11月"})
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")


class MapFiltersSchema(Schema):
    """The filters as applied."""

    status = fields.String(attribute="effective_status",
                           metadata={"description": "`open`, a status, or empty (every status in the period)"})
    category = fields.String()
    urgency = fields.String()
    period = fields.Nested(MapPeriodSchema, allow_none=True, metadata={"description": "null: the open cases, any time"})


class MapPointSchema(Schema):
    """A case on the map."""

    case_no = fields.String()
    category = fields.String()
    category_name = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    urgency = _nullable(fields.String, metadata={"enum": ["A", "B", "C", None]})
    light = _nullable(fields.String, metadata={"enum": [*LIGHTS[:-1], None],
                                               "description": "the deadline light; null before filing"})
    lng = fields.Float()
    lat = fields.Float()
    placed = fields.String(metadata={"enum": [REPORTED, UNIT], "description": "reported: at the coordinates it "
                                     "was reported with; unit: none were given, placed at the centre of placed_at"})
    placed_at = _nullable(fields.String, metadata={"description": "the grid or community (or the nearest unit above "
                                                                  "with a centre) it is placed at"})
    placed_at_name = _nullable(fields.String)
    community = _nullable(fields.String)
    grid = _nullable(fields.String)
    district = _nullable(fields.String, metadata={"description": "the district it lies in"})
    district_name = _nullable(fields.String)
    holder_unit = _nullable(fields.String)
    holder_name = _nullable(fields.String)
    channel = fields.String()
    address = fields.String()
    reported_at = Instant()
    due_at = _nullable(Instant)
    due_provisional = fields.Boolean()


class MapAreaSchema(Schema):
    """A district's (or street's) cases."""

    code = fields.String()
    name = fields.String(metadata={"description": "a district's name is its region's in the map's GeoJSON"})
    count = fields.Integer(metadata={"description": "the cases shown (as filtered)"})
    overdue = fields.Integer(metadata={"description": "of those, overdue now (or ended after the deadline)"})


class MapStreetSchema(MapAreaSchema):
    district = _nullable(fields.String)
    lng = _nullable(fields.Float, metadata={"description": "the street's centre point"})
    lat = _nullable(fields.Float)


class MapAreasSchema(Schema):
    districts = fields.List(fields.Nested(MapAreaSchema))
    streets = fields.List(fields.Nested(MapStreetSchema))


class MapDetectionSchema(Schema):
    detected_at = Instant()
    violation = fields.String()
    violation_name = fields.String()
    case_no = fields.String()
    case_status = fields.String(metadata={"enum": list(STATUSES)})
    filed = fields.Boolean(metadata={"description": "true: this detection filed the case"})


class MapCameraSchema(Schema):
    code = fields.String()
    name = fields.String()
    grid = fields.String()
    grid_name = fields.String()
    community = _nullable(fields.String)
    lng = fields.Float()
    lat = fields.Float()
    active = fields.Boolean()
    last_detection_at = _nullable(Instant)
    detections_total = fields.Integer()
    detections = fields.List(fields.Nested(MapDetectionSchema), metadata={"description": "the latest, newest first"})
    open_cases = fields.List(fields.String(), metadata={"description": "open cases this camera filed"})


class MapSummarySchema(Schema):
    total = fields.Integer(metadata={"description": "cases matching the filters"})
    shown = fields.Integer(metadata={"description": "points drawn (the newest, at most 5,000)"})
    reported = fields.Integer(metadata={"description": "placed at their reported coordinates"})
    unit = fields.Integer(metadata={"description": "placed at their grid's or community's centre"})
    unplaced = fields.Integer(metadata={"description": "neither coordinates nor a centre: not drawn"})
    overdue = fields.Integer()
    truncated = fields.Boolean()
    lights = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "points drawn per light (none: not yet filed)"})


class MapSchema(Schema):
    """What the map shows the caller: the cases they may see as points, counted per district and
    street, and the cameras on grids they see."""

    now = Instant()
    filters = fields.Nested(MapFiltersSchema)
    summary = fields.Nested(MapSummarySchema)
    points = fields.List(fields.Nested(MapPointSchema))
    areas = fields.Nested(MapAreasSchema)
    cameras = fields.List(fields.Nested(MapCameraSchema))


# MapSchema().dump, faster (handlers.jsondump: a year's map dumps thousands of points)
map_json = dumper(MapSchema())
