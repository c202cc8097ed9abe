"""A marshmallow schema's `dump`, without marshmallow's own walk for every field of every object:
the lists' JSON (a page of cases, the map's points, the worklist) spent about as long in
`Schema.dump` as in their queries. marshmallow asks, for each field of each object, the schema's
accessor, then the field's `serialize`, which asks the accessor again through two more calls,
before the field's own `_serialize` formats the value; most of a list's time went to those
calls, not to the formatting.

`dumper(schema)` reads the schema's dump fields once and returns a function that gives exactly
what `schema.dump(obj)` gives: for the fields whose formatting is their `_serialize` alone
(strings, numbers, booleans, instants and dates, and lists and nested schemas of them) it reads
the value as marshmallow's accessor does and calls `_serialize` itself (a string, float, integer or
boolean already of its field's type is written as it is, as `_serialize` would); any other field (a method,
a function, a dotted attribute, one missing on the object) goes through the field's own
`serialize`, and a schema with pre- or post-dump hooks through its own `dump`. The schemas stay
the one definition of each JSON (and of the OpenAPI document); tests compare the two dumps.
"""
from marshmallow import fields, missing

# fields (and their subclasses) whose dump is `_serialize(value)` on the value read (marshmallow 4.4)
_PLAIN = (fields.String, fields.Number, fields.Boolean, fields.DateTime, fields.Date, fields.Raw)


def _read(obj, indexable, key):
    """The value as marshmallow's accessor reads it (utils._get_value_for_key), `missing` if none;
    `indexable`: whether `obj` has `__getitem__` (asked once per object, not once per field)."""
    if not indexable:
        return getattr(obj, key, missing)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, missing)


# A value already of the type the field writes comes out unchanged (String: str(value), Float:
# float(value), Integer: int(value), Boolean: True or False): returned as it is, without the call.
_AS_IS = ((fields.String, str), (fields.Float, float), (fields.Integer, int), (fields.Boolean, bool))


def _plain_formatter(field):
    formats = field._serialize
    for kind, python_type in _AS_IS:
        if (isinstance(field, kind) and type(field)._serialize is kind._serialize
                and getattr(type(field), "_format_num", None) is getattr(kind, "_format_num", None)
                and not getattr(field, "as_string", False)):
            return lambda value, attr, obj: value if type(value) is python_type else formats(value, attr, obj)
    return formats


def _formatter(field):
    """value -> its JSON, for a field the dumper formats itself; None for one it leaves to marshmallow."""
    if isinstance(field, _PLAIN):
        return _plain_formatter(field)
    if isinstance(field, fields.Nested) and not isinstance(field, fields.Pluck):
        schema = field.schema
        many = schema.many or field.many
        if not _compiled(schema):        # hooks, or a schema inside itself: as Nested._serialize does
            return lambda value, attr, obj: None if value is None else schema.dump(value, many=many)
        inner = _one(schema)
        if many:
            return lambda value, attr, obj: None if value is None else [inner(each) for each in value]
        return lambda value, attr, obj: None if value is None else inner(value)
    if type(field) is fields.List:
        each = _formatter(field.inner)
        if each is None:
            return None
        return lambda value, attr, obj: None if value is None else [each(item, attr, obj) for item in value]
    return None


_BUILDING = set()     # the schema classes whose dumper is being built (one nested in itself keeps marshmallow's)


def dumper(schema):
    """A function giving exactly what `schema.dump(obj)` gives (a list of objects for a schema made
    with many=True; see the module's docstring)."""
    if not _compiled(schema):
        return schema.dump
    one = _one(schema)
    if schema.many:
        return lambda objs: schema.dump(objs) if objs is None else [one(obj) for obj in objs]
    return one


def _compiled(schema):
    """Whether the dumper formats `schema`'s objects itself: not with pre- or post-dump hooks (they
    see and change what marshmallow gives), nor a schema nested in itself while its own is built."""
    return not (schema._hooks["pre_dump"] or schema._hooks["post_dump"] or type(schema) in _BUILDING)


def _one(schema):
    _BUILDING.add(type(schema))
    try:
        return _build(schema)
    finally:
        _BUILDING.discard(type(schema))


def _build(schema):
    """The dump of one object of `schema`."""
    plan = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        attribute = field.attribute if field.attribute is not None else name
        formatter = _formatter(field) if field._CHECK_ATTRIBUTE and "." not in attribute else None
        plan.append((key, name, attribute, field, formatter))
    accessor = schema.get_attribute

    def dump(obj):
        out, indexable = {}, hasattr(obj, "__getitem__")
        for key, name, attribute, field, formatter in plan:
            if formatter is not None:
                value = _read(obj, indexable, attribute)
                if value is not missing:
                    out[key] = formatter(value, name, obj)
                    continue
            value = field.serialize(name, obj, accessor=accessor)
            if value is not missing:
                out[key] = value
        return out

    return dump
