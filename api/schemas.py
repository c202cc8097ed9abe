"""The API's own schemas: what it reads beyond the domain forms (login, queries, photo uploads)
and what it answers (events, photos, tokens, deadlines, errors), dumped through these same schemas;
the case and the task are the domain's own (`handlers.cases.schemas`, `handlers.worklist.schemas`).
The OpenAPI document is generated from them all."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from handlers import forms, localtime
from handlers.cases import photos, search
from handlers.cases.deadlines import LIGHTS
from handlers.cases.forms import CHANNELS, ReportSchema
from handlers.cases.schemas import CaseSchema, Instant
from handlers.cases.statuses import STATUSES
from handlers.evaluation import report as evaluation_report
from handlers.intake import channels, video
from handlers.worklist.schemas import TaskSchema  # noqa: F401  (the API's task, defined once)

SHANGHAI = localtime.ZONE
PLAIN = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="不能包含控制字符")
# A unit code filter (the org's codes), or nothing
UNIT_FILTER = validate.Regexp(r"^([0-9A-Za-z]{1,20})?$", error="单位代码为 1–20 位数字或字母")
UNIT = validate.Regexp(r"^[0-9A-Za-z]{1,20}$", error="单位代码为 1–20 位数字或字母")
# An evaluation's month, quarter or year; a month, of 2000-2099
PERIOD = r"^20\d\d(-(0[1-9]|1[0-2])|-[Qq][1-4])?$"
MONTH = r"^20\d\d-(0[1-9]|1[0-2])$"
BINARY = {"type": "string", "format": "binary", "minLength": 1}    # an empty file is refused
# The files a photo field takes (attachments.sniff reads their bytes), as its multipart encoding says
PHOTO_TYPES = {"content_types": "image/jpeg, image/png, image/webp"}


# --- requests ------------------------------------------------------------------------------------

class LoginSchema(forms.FormSchema):
    """A user's credentials, exchanged for a bearer token."""

    username = fields.String(required=True, validate=[forms.length(min=1, max=100), PLAIN])
    password = fields.String(required=True, validate=forms.length(min=1, max=200))


class CaseQuerySchema(forms.FormSchema):
    """Filters of the case list; every filter is optional."""

    status = fields.String(load_default="", validate=forms.one_of(("", search.OPEN, *STATUSES)),
                           metadata={"description": "a case status, or `open` for every unfinished case"})
    category = fields.String(load_default="", validate=validate.Regexp(r"^([12]0(\d\d){1,2})?$",
                                                                        error="六位类别代码或四位大类前缀"),
                             metadata={"description": "six digits, or the first four for a major class"})
    unit = fields.String(load_default="", validate=UNIT_FILTER,
                         metadata={"description": "cases located in, held by or handled in this unit's subtree"})
    overdue = fields.Boolean(load_default=False, metadata={"description": "true: only overdue cases"})
    date_from = forms.calendar_date(data_key="from", load_default=None,
                            metadata={"description": "reported (or as `dated` says) on or after this Beijing date"})
    date_to = forms.calendar_date(data_key="to", load_default=None,
                          metadata={"description": "reported (or as `dated` says) on or before this Beijing date"})
    dated = fields.String(load_default="reported", validate=forms.one_of(search.DATED),
                          metadata={"description": "which instant from/to bound: the report (default), the filing "
                                                   "or the closing"})
    area = fields.String(load_default="", validate=UNIT_FILTER,
                         metadata={"description": "cases located in this unit's subtree (their community or grid)"})
    channel = fields.String(load_default="", validate=forms.one_of(("", *CHANNELS)),
                            metadata={"description": "the report's channel"})
    urgency = fields.String(load_default="", validate=forms.one_of(("", *search.URGENCIES)),
                            metadata={"description": "A, B, C, or `none` (not graded yet)"})
    light = fields.String(load_default="", validate=forms.one_of(("", *LIGHTS)),
                          metadata={"description": "the deadline light of an open case now: green, yellow (past "
                                                   "its warning), red (overdue)"})
    due = forms.calendar_date(load_default=None,
                      metadata={"description": "the deadline falls on this Beijing date"})
    q = fields.String(load_default="", validate=validate.Regexp(r"^\d{0,20}$", error="案件编号为数字"),
                      metadata={"description": "part of the case number"})
    page = fields.Integer(load_default=1, validate=forms.between(1, 100000))
    per_page = fields.Integer(load_default=20, validate=forms.between(1, 100))
    after = fields.String(load_default=None, validate=forms.length(max=200),
                          metadata={"description": "the `next` of the page before: reads the page after it "
                                                   "(as fast for the last page as for the first), `page` is then "
                                                   "ignored; give the same filters and per_page"})


class TaskQuerySchema(forms.FormSchema):
    case = fields.String(load_default=None, validate=validate.Regexp(r"^\d{1,20}$", error="案件编号为数字"),
                         metadata={"description": "only the tasks of this case"})


class PeriodQuerySchema(forms.FormSchema):
    """An evaluation's period: a month, quarter or year, or a from/to range of Beijing dates."""

    period = fields.String(load_default=None, validate=validate.Regexp(PERIOD, error="如 2026-11、2026-Q4 或 2026（2000 至 2099 年）"),
                           metadata={"description": "a month (default: this one), a quarter or a year"})
    date_from = forms.calendar_date(data_key="from", load_default=None,
                            metadata={"description": "first Beijing date of a range (with to)"})
    date_to = forms.calendar_date(data_key="to", load_default=None,
                          metadata={"description": "last Beijing date of a range (with from)"})


class EvaluationQuerySchema(PeriodQuerySchema):
    """Which evaluation: a period, a level, a unit's subtree."""

    level = fields.String(load_default="district", validate=forms.one_of(evaluation_report.LEVELS))
    unit = fields.String(load_default=None, validate=UNIT,
                         metadata={"description": "only the units or people within this unit"})


class DashboardQuerySchema(forms.FormSchema):
    """Which dashboard: a month and a unit of the caller's subtree."""

    period = fields.String(load_default=None, validate=validate.Regexp(MONTH, error="须为 2000 至 2099 年的月份，如 2026-11"),
                           metadata={"description": "a month (default: this one); today's figures are always today's"})
    unit = fields.String(load_default=None, validate=UNIT,
                         metadata={"description": "a unit of the caller's subtree (default: the caller's own)"})


class EvaluationExportQuerySchema(EvaluationQuerySchema):
    format = fields.String(required=True, validate=forms.one_of(("csv", "xlsx")),
                           metadata={"description": "csv (UTF-8 with BOM) or xlsx"})


class DeadlineQuerySchema(forms.FormSchema):
    """A deadline on the working-day calendar: exactly one of working_days or working_hours."""

    start = forms.instant(required=True, metadata={"description": "ISO 8601, written in 2000-2098; without an "
                                                                 "offset it is Beijing time"})
    working_days = fields.Float(load_default=None, validate=forms.between(0, 365))
    working_hours = fields.Float(load_default=None, validate=forms.between(0, 2555))

    openapi = [{"oneOf": [{"required": ["working_days"], "properties": {"working_days": {"type": "number"}}},
                          {"required": ["working_hours"], "properties": {"working_hours": {"type": "number"}}}]}]

    @validates_schema
    def _one(self, data, **kwargs):
        if (data.get("working_days") is None) == (data.get("working_hours") is None):
            raise ValidationError("须给出 working_days 或 working_hours 之一", "working_days")


class PhotoUploadSchema(forms.FormSchema):
    """The fields of a photo upload beside its files."""

    kind = fields.String(required=True, validate=forms.one_of(photos.USER_KINDS),
                         metadata={"description": "before: the problem; after: the handling result (holder of "
                                                  "the handle task); check: the on-site check (holder of the "
                                                  "check or verify task)"})


class StaffReportSchema(ReportSchema):
    """A staff member's report (documented; loaded with cases.forms.ReportSchema after the default channel)."""

    channel = fields.String(validate=forms.one_of(CHANNELS),
                            metadata={"description": "default: grid for grid workers, intake for intake operators"})


# Multipart bodies, for the document only: the same fields as the JSON forms, plus the files.
class ReportFormSchema(StaffReportSchema):
    photos = fields.List(fields.Raw(metadata=BINARY), validate=validate.Length(max=photos.MAX_PER_REQUEST),
                         metadata={"description": "JPEG, PNG or WebP", **PHOTO_TYPES})


class IntakeFormSchema(channels.IntakeReportSchema):
    photos = fields.List(fields.Raw(metadata=BINARY), validate=validate.Length(max=photos.MAX_PER_REQUEST),
                         metadata={"description": "JPEG, PNG or WebP", **PHOTO_TYPES})


class VideoFormSchema(video.VideoEventSchema):
    snapshot = fields.Raw(required=True,
                          metadata={**BINARY, **PHOTO_TYPES, "description": "the detector's snapshot (JPEG, PNG, WebP)"})


class PhotoFormSchema(PhotoUploadSchema):
    photos = fields.List(fields.Raw(metadata=BINARY), required=True, validate=validate.Length(1, photos.MAX_PER_REQUEST),
                         metadata=PHOTO_TYPES)


# --- responses -----------------------------------------------------------------------------------

def _nullable(field_class, **kwargs):
    return field_class(allow_none=True, **kwargs)


class CasePageSchema(Schema):
    items = fields.List(fields.Nested(CaseSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
    next = fields.String(allow_none=True, metadata={"description": "the cursor of the next page (`after=`), null "
                                                                   "on the last page"})


class EventSchema(Schema):
    """One entry of a case's timeline (its hash-chained event stream)."""

    seq = fields.Integer()
    kind = fields.String(metadata={"description": "started, task_completed, timers_fired, data_changed, "
                                                  "photos_added, video_detected, ..."})
    actor = _nullable(fields.String)
    at = Instant()
    step = _nullable(fields.String)
    data = fields.Dict()


class PhotoSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    step = _nullable(fields.String)
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = _nullable(fields.String)
    uploaded_at = Instant()
    url = fields.String()


class PhotoListSchema(Schema):
    photos = fields.List(fields.Nested(PhotoSchema))


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "send as `Authorization: Bearer <token>`; shown only once"})
    token_type = fields.String()
    expires_at = _nullable(Instant)
    username = fields.String()
    role = fields.String()
    unit = fields.String()


class MeSchema(Schema):
    kind = fields.String(metadata={"enum": ["user", "client"]})
    username = fields.String()
    role = fields.String()
    unit = _nullable(fields.String)
    channel = _nullable(fields.String)


class CategoryQuerySchema(forms.FormSchema):
    q = fields.String(load_default="", validate=forms.length(max=50),
                      metadata={"description": "words that the code, the name or the class names all contain"})


class StandardSchema(Schema):
    filing = fields.String(metadata={"description": "立案条件: when a report is filed as a case"})
    closing = fields.String(metadata={"description": "结案条件: when the case may be closed"})
    urgency = fields.String(metadata={"enum": ["A", "B", "C"], "description": "the urgency a case of it usually gets"})


class CategorySchema(Schema):
    code = fields.String(metadata={"description": "six digits: kind, 0, major class, minor class"})
    name = fields.String()
    kind = fields.String(metadata={"description": "部件 or 事件"})
    major = fields.String(metadata={"description": "the major class's name"})
    label = fields.String()
    standard = fields.Nested(StandardSchema, allow_none=True,
                             metadata={"description": "the command manual's standard; null where it sets none"})


class CategoriesSchema(Schema):
    categories = fields.List(fields.Nested(CategorySchema))
    total = fields.Integer()


class DeadlineSchema(Schema):
    start = Instant()
    due_at = Instant()
    provisional = fields.Boolean(metadata={"description": "true when a year without official data is involved"})


class ErrorSchema(Schema):
    error = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))

