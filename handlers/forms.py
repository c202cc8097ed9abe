"""What every form schema of the domain shares: messages in Chinese (the UI and the API show them
as they are), unknown fields refused, control characters refused in text, and the validators the
forms are built from. The forms themselves live with their concepts: the report in `cases.forms`,
the steps of the case process in `worklist.forms`.

The rules here are stated so that the OpenAPI document (`api.docs`) can say them too: a date field
carries its 2000–2099 pattern, a form's "needed when" rules are data (`required_when`) that both the
validation and the document read, and `openapi` holds the JSON Schema of a rule written beside its
validator. The document is generated from the same schemas, so a rule cannot be enforced unsaid."""
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from . import localtime

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


FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)
# Exactly the valid dates of 2000-2099 (every year divisible by 4 is a leap year there, 2000 too).
DATE_PATTERN = (r"^(20\d\d-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)"
                r"|02-(0[1-9]|1\d|2[0-8]))|20([02468][048]|[13579][26])-02-29)$")
# An instant whose written year is 2000-2098 (a deadline from it still ends before 2100).
INSTANT_PATTERN = r"^20([0-8]\d|9[0-8])-"
DATE_MESSAGE = "日期须在 2000-01-01 至 2099-12-31 之间"


def calendar_date(**kwargs):
    """A date field of 2000-2099 (the calendars' range), its pattern in the document."""
    metadata = {"pattern": DATE_PATTERN, **kwargs.pop("metadata", {})}
    return fields.Date(validate=validate.Range(FIRST_DATE, LAST_DATE, error=DATE_MESSAGE), metadata=metadata,
                       **kwargs)


def _written_year(value):
    # The year as written (the instant's own offset), which is what the document's pattern can say.
    if not 2000 <= value.year <= 2098:
        raise ValidationError("时间须在 2000 至 2098 年之间")


def instant(**kwargs):
    """An aware instant (ISO 8601; without an offset it is Beijing time) written in 2000-2098."""
    metadata = {"pattern": INSTANT_PATTERN, **kwargs.pop("metadata", {})}
    return fields.AwareDateTime(default_timezone=localtime.ZONE, validate=_written_year, metadata=metadata,
                                **kwargs)


def _printable(value):
    # NUL and other control characters: PostgreSQL refuses NUL, and none belongs in a form.
    if value and any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise ValidationError("含有不可见的控制字符")


def require(data, field, when):
    """Refuse `data` without `field` (`when` says in which case it is needed, e.g. 立案)."""
    if data.get(field) in (None, ""):
        raise ValidationError(f"{when}时必填", field)


class FormSchema(Schema):
    """A schema whose messages are in Chinese; unknown fields are refused (marshmallow's default).

    `required_when` maps a field to {value: (what it means, (fields then needed, ...))}: e.g. the
    decision `file` (立案) needs an urgency. Checked here; the document states it as a oneOf on the
    field's values. `openapi` lists JSON Schemas of the rules of the schema's own validators (the
    document adds each to the schema's component, leaving out one that names a field the schema
    has not), kept right beside that validator."""

    error_messages = {"unknown": "未知字段", "type": "须为 JSON 对象"}
    required_when = {}
    openapi = ()

    @validates_schema
    def _required_when(self, data, **kwargs):
        for field, cases in self.required_when.items():
            when, needed = cases.get(data.get(field), (None, ()))
            for name in needed:
                require(data, name, when)

    def on_bind_field(self, field_name, field_obj):
        field_obj.error_messages.update(FIELD_MESSAGES)
        if isinstance(field_obj, fields.String) and _printable not in field_obj.validators:
            field_obj.validators = [*field_obj.validators, _printable]   # a new list: never the class's
        for kind, message in INVALID.items():
            if isinstance(field_obj, kind):
                field_obj.error_messages["invalid"] = message
                break
