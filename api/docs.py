"""The OpenAPI 3 document, generated from the views' `doc` metadata and the marshmallow schemas
(apispec), at /api/openapi.json; and a browsable page at /api/docs (Swagger UI from npm, served
from node_modules by this app, never from a CDN)."""
import re
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify, render_template, send_from_directory
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from . import errors
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


def _operation(meta, auth, rule):
    errors = set(meta["errors"])
    op = {"summary": meta["summary"], "tags": meta["tags"], "operationId": rule.endpoint.replace("api.", "")}
    if meta["description"]:
        op["description"] = meta["description"]
    params = _path_parameters(rule)
    if params:
        errors.add(404)
    if meta["query"] is not None:
        params.append({"in": "query", "schema": meta["query"]})
        errors.add(422)
    if params:
        op["parameters"] = params
    content = {}
    if meta["json"] is not None:
        content["application/json"] = {"schema": meta["json"]}
    if meta["form"] is not None:
        content["multipart/form-data"] = {"schema": meta["form"]}
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
    spec = APISpec(title=TITLE, version=VERSION, openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
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
            paths.setdefault(path, {})[method.lower()] = _operation(meta, getattr(view, "api_auth", ()), rule)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _add_violations(app, document)
    return document


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
