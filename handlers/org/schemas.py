"""The admin forms of units and users (the web pages validate with them; messages in Chinese)."""
from marshmallow import ValidationError, fields, validate, validates_schema

from ..forms import FormSchema, between, length, one_of
from .models import KINDS, ROLES

CODE = validate.Regexp(r"^[0-9A-Za-z]{1,20}$", error="单位代码为 1–20 位数字或字母")
USERNAME = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
                           error="用户名为 1–100 位字母、数字、点、下划线或连字符，以字母或数字开头")
UNIT_KINDS = tuple(k for k in KINDS if k != "center")   # one root: the command center


class CentreSchema(FormSchema):
    """A unit's centre point for the map (WGS-84): both coordinates, or neither to clear it."""

    lng = fields.Float(load_default=None, allow_none=True, validate=between(-180, 180))
    lat = fields.Float(load_default=None, allow_none=True, validate=between(-90, 90))

    @validates_schema(skip_on_field_errors=False)   # said at once, beside the other fields' messages
    def _both(self, data, **kwargs):
        if (data.get("lng") is None) != (data.get("lat") is None):
            missing = "lat" if data.get("lat") is None else "lng"
            raise ValidationError("经度和纬度须同时填写（或都不填）", missing)


class UnitCreateSchema(CentreSchema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=length(1, 100))
    kind = fields.String(required=True, validate=one_of(UNIT_KINDS))
    parent_code = fields.String(required=True, validate=CODE)


class UnitRenameSchema(FormSchema):
    name = fields.String(required=True, validate=length(1, 100))


class UnitMoveSchema(FormSchema):
    parent_code = fields.String(required=True, validate=CODE)


class PasswordSchema(FormSchema):
    password = fields.String(required=True, validate=length(8, 200))
    confirm = fields.String(required=True, validate=length(max=200))

    @validates_schema(skip_on_field_errors=False)
    def _same(self, data, **kwargs):
        if data.get("password") != data.get("confirm"):
            raise ValidationError("两次输入的密码不一致", "confirm")


class UserChangeSchema(FormSchema):
    display_name = fields.String(required=True, validate=length(1, 100))
    role = fields.String(required=True, validate=one_of(ROLES))
    unit_code = fields.String(required=True, validate=CODE)


class UserCreateSchema(UserChangeSchema, PasswordSchema):
    username = fields.String(required=True, validate=USERNAME)
