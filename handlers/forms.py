"""The form of every user step of the default process, and of a report, as marshmallow schemas.

The step id (a user task's `form` property) maps to its schema in FORMS; the CLI, the API and the
web UI all validate with these. Unknown fields are refused. Checks that need the case's context
(which units are below the holder, which cases are open) live in `worklist.check_context`.
"""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

CHANNELS = ("grid", "hotline12345", "transfer110", "wechat", "web", "video", "intake")
URGENCIES = ("A", "B", "C")
CATEGORY = validate.Regexp(r"^[12]0\d{4}$", error="必须是六位案件类别代码，如 200115")


def _require(data, field, when):
    if data.get(field) in (None, ""):
        raise ValidationError(f"{when}时必填", field)


class ReportSchema(Schema):
    """A report (上报) from any channel."""

    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    category = fields.String(required=True, validate=CATEGORY)
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    address = fields.String(load_default="", validate=validate.Length(max=500))
    community = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    grid = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lng = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    external_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    suggested_urgency = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(URGENCIES))
    fixed_on_spot = fields.Boolean(load_default=False)

    @validates_schema
    def _where(self, data, **kwargs):
        if not data.get("community") and not data.get("grid"):
            raise ValidationError("须填写社区 community 或网格 grid", "community")
        if data.get("fixed_on_spot") and data.get("channel") != "grid":
            raise ValidationError("只有网格员上报可当场处置", "fixed_on_spot")


class AcceptReportSchema(Schema):
    """受理审核: file, void, merge into a duplicate, or send a grid worker to verify first."""

    decision = fields.String(required=True, validate=validate.OneOf(("file", "void", "merge", "verify")))
    category = fields.String(load_default=None, allow_none=True, validate=CATEGORY)
    urgency = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(URGENCIES))
    reason = fields.String(load_default="", validate=validate.Length(max=1000))
    duplicate_of = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))

    @validates_schema
    def _by_decision(self, data, **kwargs):
        if data["decision"] == "file":
            _require(data, "urgency", "立案")
        elif data["decision"] == "void":
            _require(data, "reason", "作废")
        elif data["decision"] == "merge":
            _require(data, "duplicate_of", "并案")


class VerifyReportSchema(Schema):
    """核实: does the reported problem exist?"""

    exists = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class DispatchSchema(Schema):
    """派遣: assign to a unit below, handle here, or return to the level above."""

    action = fields.String(required=True, validate=validate.OneOf(("assign", "handle", "return")))
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    reason = fields.String(load_default="", validate=validate.Length(max=1000))

    @validates_schema
    def _by_action(self, data, **kwargs):
        if data["action"] == "assign":
            _require(data, "unit", "下派")
        elif data["action"] == "return":
            _require(data, "reason", "退回")


class HandleSchema(Schema):
    """处置: done (with the result), ask for an extension, or return as not ours."""

    action = fields.String(required=True, validate=validate.OneOf(("done", "extend", "return")))
    result = fields.String(load_default="", validate=validate.Length(max=2000))
    working_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 30))
    reason = fields.String(load_default="", validate=validate.Length(max=1000))

    @validates_schema
    def _by_action(self, data, **kwargs):
        if data["action"] == "done":
            _require(data, "result", "办结")
        elif data["action"] == "extend":
            _require(data, "working_days", "申请延期")
            _require(data, "reason", "申请延期")
        elif data["action"] == "return":
            _require(data, "reason", "退回")


class ApproveExtensionSchema(Schema):
    """延期审批: approve (possibly fewer days than asked) or refuse."""

    approved = fields.Boolean(required=True)
    working_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 30))
    comment = fields.String(load_default="", validate=validate.Length(max=1000))


class ReviewSchema(Schema):
    """审核: approve the handling result on its way up, or send it back to the handler."""

    approved = fields.Boolean(required=True)
    comment = fields.String(load_default="", validate=validate.Length(max=1000))

    @validates_schema
    def _why_not(self, data, **kwargs):
        if not data["approved"]:
            _require(data, "comment", "退回重办")


class CheckResultSchema(Schema):
    """核查: the grid worker's on-site check."""

    passed = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=1000))

    @validates_schema
    def _why_not(self, data, **kwargs):
        if not data["passed"]:
            _require(data, "note", "核查不通过")


class CloseCaseSchema(Schema):
    """结案."""

    comment = fields.String(load_default="", validate=validate.Length(max=1000))


class SuperviseSchema(Schema):
    """督办: the shift lead presses the unit holding an overdue case."""

    comment = fields.String(required=True, validate=validate.Length(min=1, max=1000))


FORMS = {
    "accept_report": AcceptReportSchema,
    "verify_report": VerifyReportSchema,
    "dispatch": DispatchSchema,
    "handle": HandleSchema,
    "approve_extension": ApproveExtensionSchema,
    "review": ReviewSchema,
    "check_result": CheckResultSchema,
    "close_case": CloseCaseSchema,
    "supervise": SuperviseSchema,
}
