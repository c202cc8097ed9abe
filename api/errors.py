"""Every API error is JSON: `{"error": message, "errors": {field: [messages]}}`.

Domain refusals get their status from the one table of `handlers.errors` (unknown -> 404, not
allowed -> 403, changed meanwhile -> 409, bad fields -> 422, too large -> 413, the database
unreachable or busy -> 503 with Retry-After), so views never catch them; `ApiError` is for what a
view refuses itself.
"""
from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from handlers import errors as refusals

API_PREFIX = "/api/"
MESSAGES = refusals.MESSAGES


class ApiError(Exception):
    """An error a view raises on purpose, with its status and optional field messages."""

    def __init__(self, status, message=None, errors=None, headers=None):
        self.message = message or MESSAGES.get(status, "错误")
        super().__init__(self.message)
        self.status, self.errors, self.headers = status, errors, headers


def error_response(status, message=None, errors=None, headers=None):
    response = jsonify(error=message or MESSAGES.get(status, "错误"), errors=errors or {})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _api_error(exc):
    return error_response(exc.status, exc.message, exc.errors, exc.headers)


def refusal_response(exc):
    """A domain refusal as its JSON error; anything that is not one is raised (a bug: 500)."""
    found = refusals.classify(exc)
    if found is None:
        raise exc
    refusals.log_unavailable(found, exc)
    headers = {"Retry-After": str(found.retry_after)} if found.retry_after else None
    return error_response(found.status, found.message, found.errors, headers)


def http_error(exc: HTTPException):
    """Plain HTTP errors (routing 404/405, 413, 400) as JSON under /api/, as usual elsewhere."""
    if not request.path.startswith(API_PREFIX):
        return current_app.extensions["citygrid.web_error_page"](exc)
    headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "www-authenticate")}
    message = MESSAGES.get(exc.code, exc.name)
    if exc.code == 400 and exc.description and "browser (or proxy)" not in exc.description:
        message = exc.description
    return error_response(exc.code or 500, message, headers=headers)


def register(blueprint):
    """Map every refusal to its JSON error on an API blueprint (once, when it is created)."""
    blueprint.register_error_handler(ApiError, _api_error)
    for exc_class in refusals.REFUSALS:
        blueprint.register_error_handler(exc_class, refusal_response)
    blueprint.register_error_handler(HTTPException, http_error)
