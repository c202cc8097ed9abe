"""The report (上报) form: what any channel sends to start a case, checked by one schema for the
CLI, the API and the web UI alike. Unknown fields are refused."""
from marshmallow import ValidationError, fields, validate, validates_schema

from ..forms import FormSchema, between, length, one_of
from ..org.schemas import CODE as UNIT_CODE

CHANNELS = ("grid", "hotline12345", "transfer110", "wechat", "web", "video", "intake")
URGENCIES = ("A", "B", "C")
CATEGORY = validate.Regexp(r"^[12]0\d{4}$", error="必须是六位案件类别代码，如 200115")
CASE_NO = validate.Regexp(r"^\d{1,20}$", error="案件编号为数字")
_GIVEN = {"type": "string", "minLength": 1}


class ReportSchema(FormSchema):
    """A report (上报) from any channel."""

    channel = fields.String(required=True, validate=one_of(CHANNELS))
    category = fields.String(required=True, validate=CATEGORY)
    description = fields.String(required=True, validate=length(min=1, max=2000))
    address = fields.String(load_default="", validate=length(max=500))
    community = fields.String(load_default=None, allow_none=True, validate=UNIT_CODE,
                              metadata={"description": "a community's unit code (or give the grid)"})
    grid = fields.String(load_default=None, allow_none=True, validate=UNIT_CODE,
                         metadata={"description": "a grid's unit code (its community follows from it)"})
    lat = fields.Float(load_default=None, allow_none=True, validate=between(-90, 90))
    lng = fields.Float(load_default=None, allow_none=True, validate=between(-180, 180))
    external_ref = fields.String(load_default=None, allow_none=True, validate=length(min=1, max=100))
    suggested_urgency = fields.String(load_default=None, allow_none=True, validate=one_of(URGENCIES))
    fixed_on_spot = fields.Boolean(load_default=False, metadata={"description": "当场处置: grid workers, channel grid"})

    # _where's rules, for the document: the community or the grid (both are accepted when the grid
    # lies in that community: say one), and on-the-spot handling on the grid channel only.
    openapi = [{"oneOf": [{"required": ["community"], "properties": {"community": _GIVEN}},
                          {"required": ["grid"], "properties": {"grid": _GIVEN}}]},
               {"anyOf": [{"properties": {"fixed_on_spot": {"enum": [False]}}},
                          {"required": ["channel"], "properties": {"channel": {"enum": ["grid"]}}}]}]

    @validates_schema
    def _where(self, data, **kwargs):
        if not data.get("community") and not data.get("grid"):
            raise ValidationError("须填写社区 community 或网格 grid", "community")
        if data.get("fixed_on_spot") and data.get("channel") != "grid":
            raise ValidationError("只有网格员上报可当场处置", "fixed_on_spot")
