"""The report (上报) form: what any channel sends to start a case, checked by one schema for the
CLI, the API and the web UI alike. Unknown fields are refused."""
from marshmallow import ValidationError, fields, validate, validates_schema

from ..forms import FormSchema, between, length, one_of

CHANNELS = ("grid", "hotline12345", "transfer110", "wechat", "web", "video", "intake")
URGENCIES = ("A", "B", "C")
CATEGORY = validate.Regexp(r"^[12]0\d{4}$", error="必须是六位案件类别代码，如 200115")


class ReportSchema(FormSchema):
    """A report (上报) from any channel."""

    channel = fields.String(required=True, validate=one_of(CHANNELS))
    category = fields.String(required=True, validate=CATEGORY)
    description = fields.String(required=True, validate=length(min=1, max=2000))
    address = fields.String(load_default="", validate=length(max=500))
    community = fields.String(load_default=None, allow_none=True, validate=length(max=20))
    grid = fields.String(load_default=None, allow_none=True, validate=length(max=30))
    lat = fields.Float(load_default=None, allow_none=True, validate=between(-90, 90))
    lng = fields.Float(load_default=None, allow_none=True, validate=between(-180, 180))
    external_ref = fields.String(load_default=None, allow_none=True, validate=length(min=1, max=100))
    suggested_urgency = fields.String(load_default=None, allow_none=True, validate=one_of(URGENCIES))
    fixed_on_spot = fields.Boolean(load_default=False)

    @validates_schema
    def _where(self, data, **kwargs):
        if not data.get("community") and not data.get("grid"):
            raise ValidationError("须填写社区 community 或网格 grid", "community")
        if data.get("fixed_on_spot") and data.get("channel") != "grid":
            raise ValidationError("只有网格员上报可当场处置", "fixed_on_spot")
