"""The form of every user step of the default process, and of a report, as marshmallow schemas.

The step id (a user task's `form` property) maps to its schema in FORMS; the CLI, the API and the
web UI all validate with these. Unknown fields are refused. Checks that need the case's context
(which units are below the holder, which cases are open) live in `worklist.check_context`.
"""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

# The UI and the API show these messages to Chinese users: one translation, here.
FIELD_MESSAGES = {"required": "必填", "null": "不能为空", "validator_failed": "取值无效"}
INVALID = {fields.Boolean: "须为是或否", fields.Integer: "须为整数", fields.Float: "须为数字",
           fields.String: "须为文本"}


def one_of(choices):
    return validate.OneOf(choices, error="须为以下之一：{choices}")


def length(min=None, max=None):
    return validate.Length(min=min, max=max, error="长度须在 {min} 到 {max} 个字符之间" if min else "不能超过 {max} 个字符")


def between(low, high):
    return validate.Range(low, high, error="须在 {min} 到 {max} 之间")


def _printable(value):
    # NUL and other control characters: PostgreSQL refuses NUL, and none belongs in a report.
    if value and any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise ValidationError("含有不可见的控制字符")


class FormSchema(Schema):
    """A schema whose messages are in Chinese; unknown fields are refused (marshmallow's default)."""

    error_messages = {"unknown": "未知字段", "type": "须为 JSON 对象"}

    def on_bind_field(self, field_name, field_obj):
        field_obj.error_messages.update(FIELD_MESSAGES)
        if isinstance(field_obj, fields.String) and _printable not in field_obj.validators:
            field_obj.validators = [*field_obj.validators, _printable]   # a new list: never the class's
        for kind, message in INVALID.items():
            if isinstance(field_obj, kind):
                field_obj.error_messages["invalid"] = message
                break

CHANNELS = ("grid", "hotline12345", "transfer110", "wechat", "web", "video", "intake")
URGENCIES = ("A", "B", "C")
CATEGORY = validate.Regexp(r"^[12]0\d{4}$", error="必须是六位案件类别代码，如 200115")


def _require(data, field, when):
    if data.get(field) in (None, ""):
        raise ValidationError(f"{when}时必填", field)


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


class AcceptReportSchema(FormSchema):
    """受理审核: file, void, merge into a duplicate, or send a grid worker to verify first."""

    decision = fields.String(required=True, validate=one_of(("file", "void", "merge", "verify")))
    category = fields.String(load_default=None, allow_none=True, validate=CATEGORY)
    urgency = fields.String(load_default=None, allow_none=True, validate=one_of(URGENCIES))
    reason = fields.String(load_default="", validate=length(max=1000))
    duplicate_of = fields.String(load_default=None, allow_none=True, validate=length(max=30))

    @validates_schema
    def _by_decision(self, data, **kwargs):
        if data["decision"] == "file":
            _require(data, "urgency", "立案")
        elif data["decision"] == "void":
            _require(data, "reason", "作废")
        elif data["decision"] == "merge":
            _require(data, "duplicate_of", "并案")


class VerifyReportSchema(FormSchema):
    """核实: does the reported problem exist?"""

    exists = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=length(max=1000))


class DispatchSchema(FormSchema):
    """派遣: assign to a unit below, handle here, or return to the level above."""

    action = fields.String(required=True, validate=one_of(("assign", "handle", "return")))
    unit = fields.String(load_default=None, allow_none=True, validate=length(max=20))
    reason = fields.String(load_default="", validate=length(max=1000))

    @validates_schema
    def _by_action(self, data, **kwargs):
        if data["action"] == "assign":
            _require(data, "unit", "下派")
        elif data["action"] == "return":
            _require(data, "reason", "退回")


class HandleSchema(FormSchema):
    """处置: done (with the result), ask for an extension, or return as not ours."""

    action = fields.String(required=True, validate=one_of(("done", "extend", "return")))
    result = fields.String(load_default="", validate=length(max=2000))
    working_days = fields.Integer(load_default=None, allow_none=True, validate=between(1, 30))
    reason = fields.String(load_default="", validate=length(max=1000))

    @validates_schema
    def _by_action(self, data, **kwargs):
        if data["action"] == "done":
            _require(data, "result", "办结")
        elif data["action"] == "extend":
            _require(data, "working_days", "申请延期")
            _require(data, "reason", "申请延期")
        elif data["action"] == "return":
            _require(data, "reason", "退回")


class ApproveExtensionSchema(FormSchema):
    """延期审批: approve (possibly fewer days than asked) or refuse."""

    approved = fields.Boolean(required=True)
    working_days = fields.Integer(load_default=None, allow_none=True, validate=between(1, 30))
    comment = fields.String(load_default="", validate=length(max=1000))


class ReviewSchema(FormSchema):
    """审核: approve the handling result on its way up, or send it back to the handler."""

    approved = fields.Boolean(required=True)
    comment = fields.String(load_default="", validate=length(max=1000))

    @validates_schema
    def _why_not(self, data, **kwargs):
        if not data["approved"]:
            _require(data, "comment", "退回重办")


class CheckResultSchema(FormSchema):
    """核查: the grid worker's on-site check."""

    passed = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=length(max=1000))

    @validates_schema
    def _why_not(self, data, **kwargs):
        if not data["passed"]:
            _require(data, "note", "核查不通过")


class CloseCaseSchema(FormSchema):
    """结案."""

    comment = fields.String(load_default="", validate=length(max=1000))


class SuperviseSchema(FormSchema):
    """督办: the shift lead presses the unit holding an overdue case."""

    comment = fields.String(required=True, validate=length(min=1, max=1000))


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
