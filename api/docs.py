"""The OpenAPI 3 document, generated from the views' `doc` metadata and the marshmallow schemas
(apispec), at /api/openapi.json; and a browsable page at /api/docs (Swagger UI from npm, served
from node_modules by this app, never from a CDN)."""
import re
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Blueprint, current_app, jsonify, render_template, send_from_directory
from marshmallow import fields
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from handlers.forms import FormSchema

from . import errors, inputs
from .errors import ApiError
from .schemas import ErrorSchema

bp = Blueprint("api_docs", __name__, url_prefix="/api", template_folder="templates", static_folder="static",
               static_url_path="/docs/static")
errors.register(bp)

TITLE = "citygrid API"
VERSION = "1.0"
SWAGGER_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")
DESCRIPTION = """Case handling for a city-management command center.

Authenticate with `Authorization: Bearer <token>`: a user's token (from `POST /api/v1/auth/token` or
`flask --app app users token NAME`) or an external client's (`flask --app app clients add NAME
--channel CH`). Errors are always `{"error": message, "errors": {field: [messages]}}`: 400 malformed
body, 401 no or bad token, 403 not allowed, 404 unknown (also for cases outside the caller's unit
subtree), 409 changed meanwhile or already done, 413 too large, 422 field messages, 429 too many wrong
passwords (the login; `Retry-After` says when to try again), 503 the database unreachable or busy
(nothing was written: send it again after `Retry-After` seconds).
Times are ISO 8601 in +08:00. The task forms are those of the README's published contract."""
ERROR_TEXT = {400: "malformed body", 401: "no, bad, expired or revoked token", 403: "not allowed",
              404: "unknown (or not visible to the caller)", 409: "changed meanwhile, or already done",
              413: "too large", 422: "field messages",
              429: "too many wrong passwords lately: try again after `Retry-After` seconds",
              503: "the database is unreachable or busy; nothing was written: try again after Retry-After seconds"}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 1}}}
# Headers an error answer always carries (documented on it)
ERROR_HEADERS = {429: RETRY_AFTER, 503: RETRY_AFTER}


class Files:
    """A response that is a file of one of these content types (for `doc`'s responses)."""

    def __init__(self, *types):
        self.types = types


def doc(summary, *, tags, description="", query=None, json=None, form=None, responses=None, errors=(),
        links=None):
    """Describe a view for the OpenAPI document: its input schemas and its answers.

    `responses` maps a success status to a schema (or None for no body); the error statuses that
    follow from the input and the authentication are added, `errors` adds others (e.g. 409).
    `links` maps a success status to OpenAPI links (which later calls its answer feeds).
    """
    def decorate(view):
        view.api_doc = dict(summary=summary, tags=tags, description=description, query=query, json=json,
                            form=form, responses=responses or {200: None}, errors=tuple(errors),
                            links=links or {})
        return view
    return decorate


def case_links(pointer="$response.body#/case_no"):
    """Links from an answer carrying a case number to the operations reading that case."""
    return {name: {"operationId": name, "parameters": {"case_no": pointer}}
            for name in ("show_case", "case_events", "case_photos", "add_photos")}


_ARG = re.compile(r"<(?:[^<>:]+:)?(\w+)>")


def _given(prop):
    """A property's schema when it must be given: its type, not null, not empty."""
    given = {"type": prop["type"]} if "type" in prop else {}
    return {**given, "minLength": 1} if prop.get("type") == "string" else given


def _named(rule):
    """The property names a JSON Schema rule refers to."""
    names = set()
    if isinstance(rule, dict):
        names.update(rule.get("required", ()), rule.get("properties", {}))
        for value in rule.values():
            names |= _named(value)
    elif isinstance(rule, list):
        for value in rule:
            names |= _named(value)
    return names


def form_rules(schema_cls, json_schema):
    """The JSON Schema of a form's own rules: its `required_when` as a oneOf on the deciding
    field's values, and its `openapi` rules that name only fields it has (handlers.forms)."""
    properties, rules = json_schema.get("properties", {}), []
    for field, cases in getattr(schema_cls, "required_when", {}).items():
        values = properties[field].get("enum") or ([True, False] if properties[field].get("type") == "boolean" else [])
        branches = []
        for value in (v for v in values if v is not None):
            needed = cases.get(value, (None, ()))[1]
            branch = {"properties": {field: {"enum": [value]}, **{name: _given(properties[name]) for name in needed}}}
            if needed:
                branch["required"] = list(needed)
            branches.append(branch)
        rules.append({"oneOf": branches})
    rules += [rule for rule in getattr(schema_cls, "openapi", ()) if _named(rule) <= set(properties)]
    return rules


# Text the API refuses (inputs.BAD_TEXT: control characters but tab and line breaks), as a pattern.
PLAIN_TEXT = "^[^" + inputs.BAD_TEXT.pattern[1:-1] + "]*$"


def _plain_text(converter, field, ret, **kwargs):
    """A form's free text field refuses control characters: say so as its pattern."""
    if (isinstance(field, fields.String) and isinstance(field.parent, FormSchema)
            and not {"pattern", "enum"} & set(ret)):
        return {"pattern": PLAIN_TEXT}
    return {}


class FormRulesPlugin(MarshmallowPlugin):
    """apispec's marshmallow plugin, adding to each component the rules of its form (`form_rules`),
    and to its free text fields the characters refused."""

    def init_spec(self, spec):
        super().init_spec(spec)
        self.converter.add_attribute_function(_plain_text)

    def schema_helper(self, name, _, schema=None, **kwargs):
        json_schema = super().schema_helper(name, _, schema=schema, **kwargs)
        rules = form_rules(resolve_schema_cls(schema), json_schema) if json_schema is not None else []
        if rules:
            json_schema["allOf"] = [*json_schema.get("allOf", []), *rules]
        return json_schema


def _has_rules(schema_cls):
    return bool(getattr(schema_cls, "required_when", None) or getattr(schema_cls, "openapi", None))


def _path_parameters(rule):
    params = []
    for name in sorted(rule.arguments):
        converter = rule._converters.get(name)
        schema = {"type": "string"}
        if isinstance(converter, IntegerConverter):
            schema = {"type": "integer", "minimum": 1, **({"maximum": converter.max} if converter.max else {})}
        elif isinstance(converter, AnyConverter):
            schema = {"type": "string", "enum": sorted(converter.items)}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _query_parameters(spec, schema_cls):
    """A query schema's parameters: one a field, or, when rules join its fields (one of two needed),
    one object of them all ("form" style, exploded: still one query key a field) whose schema can
    say the rule."""
    if not _has_rules(schema_cls):
        return [{"in": "query", "schema": schema_cls}]
    name = schema_cls.__name__.removesuffix("Schema")
    if name not in spec.components.schemas:
        spec.components.schema(name, schema=schema_cls)
    return [{"name": name[0].lower() + name[1:], "in": "query", "style": "form", "explode": True, "required": True,
             "schema": {"$ref": f"#/components/schemas/{name}"}}]


def _file_part(key):
    """A file's part names a file name, as a browser's does (the name itself is ignored): a part
    without one is a text field."""
    return {"Content-Disposition": {"description": "a file part: with a file name (any)", "schema": {
        "type": "string", "example": f'form-data; name="{key}"; filename="photo.jpg"'}}}


def _encoding(form_cls):
    """The media types of a multipart form's file fields (their `content_types` metadata)."""
    found = {key: {"contentType": field.metadata["content_types"], "headers": _file_part(key)}
             for key, field in ((field.data_key or name, field) for name, field in form_cls._declared_fields.items())
             if "content_types" in field.metadata}
    return {"encoding": found} if found else {}


def _operation(spec, meta, auth, rule):
    errors = set(meta["errors"])
    op = {"summary": meta["summary"], "tags": meta["tags"], "operationId": rule.endpoint.replace("api.", "")}
    if meta["description"]:
        op["description"] = meta["description"]
    params = _path_parameters(rule)
    if params:
        errors.add(404)
    if meta["query"] is not None:
        params += _query_parameters(spec, meta["query"])
        errors.add(422)
    if params:
        op["parameters"] = params
    content = {}
    if meta["json"] is not None:
        content["application/json"] = {"schema": meta["json"]}
    if meta["form"] is not None:
        content["multipart/form-data"] = {"schema": meta["form"], **_encoding(meta["form"])}
        errors.add(413)
    if content:
        op["requestBody"] = {"required": True, "content": content}
        errors.update((400, 422))
    if auth:
        op["security"] = [{"bearer": []}]
        errors.update((401, 403))
    else:
        op["security"] = []
    errors.add(503)                    # every operation reads the database
    op["responses"] = {}
    for status, schema in meta["responses"].items():
        answer = {"description": "OK" if status < 300 else str(status)}
        if isinstance(schema, Files):
            answer["content"] = {kind: {"schema": {"type": "string", "format": "binary"}} for kind in schema.types}
        elif schema is not None:
            answer["content"] = {"application/json": {"schema": schema}}
        if status in meta["links"]:
            answer["links"] = meta["links"][status]
        op["responses"][str(status)] = answer
    for status in sorted(errors - set(meta["responses"])):
        op["responses"][str(status)] = {"description": ERROR_TEXT.get(status, "error"),
                                        "content": {"application/json": {"schema": ErrorSchema}}}
        if status in ERROR_HEADERS:
            op["responses"][str(status)]["headers"] = ERROR_HEADERS[status]
    return op


def build(app):
    """The OpenAPI document of every documented view of the `api` blueprint."""
    spec = APISpec(title=TITLE, version=VERSION, openapi_version="3.0.3", plugins=[FormRulesPlugin()],
                   info={"description": DESCRIPTION})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    paths = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, "api_doc", None)
        if not rule.endpoint.startswith("api.") or meta is None:
            continue
        path = _ARG.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(spec, meta, getattr(view, "api_auth", ()),
                                                                      rule)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _forms_have_no_null(document)
    _add_violations(app, document)
    return document


def _no_null(schema):
    schema.pop("nullable", None)
    if schema.get("default", 0) is None:
        del schema["default"]
    if None in schema.get("enum", ()):
        schema["enum"] = [value for value in schema["enum"] if value is not None]


def _forms_have_no_null(document):
    """A multipart form's field is text or left out, never null (the JSON body's null is "not given")."""
    schemas = document.get("components", {}).get("schemas", {})
    for operations in document["paths"].values():
        for operation in operations.values():
            form = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
            ref = form and form["schema"].get("$ref", "")
            for prop in schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}).values() if ref else ():
                _no_null(prop)


def _add_violations(app, document):
    """The violation kinds are data (violations.toml): list them where the document names the field."""
    from handlers.intake.violations import get_violations
    accepted = get_violations(app).accepted()
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        if "violation" in schema.get("properties", {}):
            schema["properties"]["violation"]["enum"] = accepted


@bp.get("/openapi.json")
def openapi():
    app = current_app._get_current_object()
    document = app.extensions.get("citygrid.openapi")
    if document is None:
        document = app.extensions["citygrid.openapi"] = build(app)
    return jsonify(document)


@bp.get("/docs")
def docs_page():
    return render_template("api/docs.html", title=TITLE)


@bp.get("/docs/swagger/<name>")
def swagger_file(name):
    """A file of the swagger-ui-dist package (installed by `npm ci`, see package.json)."""
    folder = Path(current_app.root_path) / "node_modules" / "swagger-ui-dist"
    if name not in SWAGGER_FILES or not (folder / name).is_file():
        raise ApiError(404, "文件不存在（请先运行 npm ci）")
    return send_from_directory(folder, name, max_age=3600)
