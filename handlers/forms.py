"""What every form schema of the domain shares: messages in Chinese (the UI and the API show them
as they are), unknown fields refused, control characters refused in text, and the validators the
forms are built from. The forms themselves live with their concepts: the report in `cases.forms`,
the steps of the case process in `worklist.forms`."""
from marshmallow import Schema, ValidationError, fields, validate

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
    # NUL and other control characters: PostgreSQL refuses NUL, and none belongs in a form.
    if value and any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise ValidationError("含有不可见的控制字符")


def require(data, field, when):
    """Refuse `data` without `field` (`when` says in which case it is needed, e.g. 立案)."""
    if data.get(field) in (None, ""):
        raise ValidationError(f"{when}时必填", field)


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
