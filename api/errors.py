"""Every API error is JSON: `{"error": message, "errors": {field: [messages]}}`.

Domain exceptions map to statuses here, in one table, so views never catch them: unknown -> 404,
not allowed -> 403, changed meanwhile -> 409, bad fields -> 422, photo too large -> 413.
"""
from flask import current_app, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from engine import instances
from handlers import attachments, cases, photos, worklist
from handlers.intake import cameras

API_PREFIX = "/api/"
MESSAGES = {   # the `error` text of plain HTTP errors
    400: "请求格式错误", 401: "未登录或令牌无效", 403: "无权操作", 404: "不存在", 405: "不支持此方法",
    409: "冲突：数据已被修改，请刷新后重试", 413: "请求体过大", 415: "不支持的内容类型", 422: "输入有误",
}


class ApiError(Exception):
    """An error a view raises on purpose, with its status and optional field messages."""

    def __init__(self, status, message=None, errors=None, headers=None):
        self.message = message or MESSAGES.get(status, "错误")
        super().__init__(self.message)
        self.status, self.errors, self.headers = status, errors, headers


def flatten(messages, prefix=""):
    """marshmallow's nested messages as {dotted.field: [str, ...]}."""
    if isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            return {prefix or "_schema": list(messages)}
        out = {}
        for item in messages:
            out.update(flatten(item, prefix))
        return out
    if isinstance(messages, dict):
        out = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten(value, name))
        return out
    return {prefix or "_schema": [str(messages)]}


def error_response(status, message=None, errors=None, headers=None):
    response = jsonify(error=message or MESSAGES.get(status, "错误"), errors=errors or {})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _api_error(exc):
    return error_response(exc.status, exc.message, exc.errors, exc.headers)


def _validation(exc):
    return error_response(422, MESSAGES[422], flatten(exc.messages))


def _case_error(exc):
    return error_response(422, str(exc), {exc.field or "_schema": [str(exc)]})


def _photo(exc):
    status = 413 if isinstance(exc, photos.PhotoTooLarge) else 422
    return error_response(status, str(exc), {"photos": [str(exc)]})


def _database(exc):
    """Lost races the database caught: a duplicate key or (SQLite) a lock; anything else is ours."""
    text = str(getattr(exc, "orig", exc)).lower()
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if isinstance(exc, IntegrityError) or code in ("40001", "40P01") or "database is locked" in text:
        return error_response(409, "冲突：同时有其他请求修改了数据，请重试")
    raise exc


def http_error(exc: HTTPException):
    """Plain HTTP errors (routing 404/405, 413, 400) as JSON under /api/, as usual elsewhere."""
    if not request.path.startswith(API_PREFIX):
        return current_app.extensions["citygrid.web_error_page"](exc)
    headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "www-authenticate")}
    message = MESSAGES.get(exc.code, exc.name)
    if exc.code == 400 and exc.description and "browser (or proxy)" not in exc.description:
        message = exc.description
    return error_response(exc.code or 500, message, headers=headers)


HANDLERS = [
    (ApiError, _api_error),
    (ValidationError, _validation),
    (cases.CaseError, _case_error),
    (cameras.CameraError, lambda exc: error_response(422, str(exc), {"camera": [str(exc)]})),
    (attachments.AttachmentError, _photo),
    (instances.NotFound, lambda exc: error_response(404, str(exc))),
    (worklist.PermissionDenied, lambda exc: error_response(403, str(exc))),
    (instances.Conflict, lambda exc: error_response(409, str(exc))),
    (IntegrityError, _database),
    (OperationalError, _database),
    (HTTPException, http_error),
]


def register(blueprint):
    """Map every domain error to its status on an API blueprint (once, when it is created)."""
    for exc_class, handler in HANDLERS:
        blueprint.register_error_handler(exc_class, handler)
