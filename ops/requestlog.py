"""One JSON line a request on the `citygrid.request` logger: request id, method, route (the URL
rule, not the path: `/cases/<case_no>`), status, duration in ms, user (a signed-in user's name, an
API caller's, else null) and the client's address. The request id is the `X-Request-Id` the client
(or nginx) sent, when it is a plain token of at most 100 characters, else a fresh one; the answer
carries it back in the same header, and every log line written while serving carries it too."""
import logging
import re
import time
import uuid

from flask import current_app, g, request
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import NoInspectionAvailable

from .logs import JsonFormatter, StderrHandler

HEADER = "X-Request-Id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
log = logging.getLogger("citygrid.request")


def begin():
    given = request.headers.get(HEADER, "")
    g.request_id = given if _VALID.match(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def route():
    """The request's URL rule (what metrics and logs group by), or None when nothing matched."""
    return request.url_rule.rule if request.url_rule is not None else None


def _loaded_name(row):
    """The user's or client's name as the request already holds it: from the row's loaded values
    only, so that logging never reads the database (after a rollback the row is expired, and the
    database may be the reason: an outage's 503 must not become a 500 here)."""
    try:
        values = sa_inspect(row).dict
    except NoInspectionAvailable:
        return getattr(row, "username", None)
    if values.get("username"):
        return values["username"]
    return f"client:{values['name']}" if values.get("name") else None


def user():
    """Who made the request, if the request already knows (never loads a user just to log it)."""
    caller = g.get("api_caller")      # the API's bearer token (api.auth)
    if caller is not None:
        return _loaded_name(caller.user or caller.client)
    staff = g.get("_login_user")      # Flask-Login's user of this request, once loaded
    if staff is not None and not getattr(staff, "is_anonymous", True):
        return _loaded_name(staff)
    return None


def elapsed():
    started = g.get("request_started")
    return time.perf_counter() - started if started is not None else 0.0


def finish(response):
    response.headers[HEADER] = g.get("request_id", "")
    if current_app.config["CITYGRID_REQUEST_LOG"] != "on":
        return response
    log.info("request", extra={"fields": {
        "method": request.method, "route": route(), "path": request.path, "status": response.status_code,
        "duration_ms": round(elapsed() * 1000, 1), "user": user(), "remote_addr": request.remote_addr}})
    return response


def init_logger():
    """The request log's own handler (stderr, JSON), once per process; it does not propagate, so a
    root logger that writes JSON too does not write each line twice."""
    if not any(isinstance(h, StderrHandler) for h in log.handlers):
        handler = StderrHandler()
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
