"""What the domain refuses, and what each refusal means to whoever asked: one table from exception
to status, message and field messages, used alike by the API (JSON), the web UI (pages) and the
CLI (one line). No view or command maps an exception itself.

Domain errors subclass one of the refusals below and name the input field at fault; the engine's
own NotFound and Conflict, marshmallow's ValidationError, the database's lost races (409) and a
database that cannot serve now (503 with Retry-After: unreachable, or busy) are classified here too.
Anything else is a bug and is raised, never reported as a refusal."""
import logging
from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, TimeoutError as PoolTimeout

from engine import instances

MESSAGES = {   # the message of a status when the error carries none of its own
    400: "请求格式错误", 401: "未登录或令牌无效", 403: "无权操作", 404: "不存在", 405: "不支持此方法",
    409: "冲突：数据已被修改，请刷新后重试", 413: "请求体过大", 415: "不支持的内容类型", 422: "输入有误",
    503: "服务暂时不可用，请稍后重试",
}
LOST_RACE = "冲突：同时有其他请求修改了数据，请重试"
GONE = "没有找到：案件或任务已不存在，或已被办理"     # the engine's NotFound, which names internal ids
UNREACHABLE = "数据库暂时无法连接，请稍后重试"
BUSY = "数据库繁忙，请稍后重试"
RETRY_AFTER = {UNREACHABLE: 5, BUSY: 2}      # seconds, the Retry-After of each 503
# PostgreSQL's SQLSTATEs of a server that cannot serve this connection: connection exceptions
# (class 08), shut down by the administrator, crashed, starting up or shutting down, too many clients
UNREACHABLE_SQLSTATES = ("57P01", "57P02", "57P03", "53300")

log = logging.getLogger("citygrid.database")


class Refusal(Exception):
    """A request the domain refuses; `field` names the input at fault (None: the request as a whole)."""

    status = 400

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class Invalid(Refusal, ValueError):
    """Bad input: the value of `field` cannot be accepted (422)."""

    status = 422


class PermissionDenied(Refusal):
    """The user's role and unit do not allow this (403)."""

    status = 403


class StateConflict(Refusal):
    """What the request asks does not fit where the record stands now (409), e.g. a 督办 on a case
    that is no longer being handled."""

    status = 409


class TooLarge(Invalid):
    """An upload over its size limit (413)."""

    status = 413


@dataclass
class Classified:
    status: int
    message: str
    errors: dict = field(default_factory=dict)   # {field: [messages]}
    line: str = ""                               # as the CLI prints it (one line)
    retry_after: int | None = None               # seconds (503 only): the Retry-After header


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
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix or "_schema": [str(messages)]}


def lost_race(exc) -> bool:
    """A database error that means another request won: a duplicate key, or a serialization
    failure or deadlock (PostgreSQL). SQLite's "database is locked" is not one: nobody won, the
    database was busy (see `unavailable`)."""
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, OperationalError):
        return getattr(exc.orig, "sqlstate", None) in ("40001", "40P01")
    return False


def unavailable(exc) -> str | None:
    """UNREACHABLE or BUSY when a database error says the database cannot serve now, else None.

    Unreachable: no connection (refused, lost, or invalidated by the pool), or the server shutting
    down, starting up or full. Busy: SQLite's lock wait ran out ("database is locked"), or no pooled
    connection came free in time. Nothing of the request was written in either case: its one
    transaction never committed."""
    if isinstance(exc, PoolTimeout):
        return BUSY
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    if getattr(orig, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED") \
            or "database is locked" in str(orig).lower():
        return BUSY
    if exc.connection_invalidated or getattr(orig, "sqlite_errorname", None) == "SQLITE_CANTOPEN":
        return UNREACHABLE
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return UNREACHABLE if sqlstate.startswith("08") or sqlstate in UNREACHABLE_SQLSTATES else None
    # psycopg: an error the server sent carries its SQLSTATE; one without is the connection's own
    # (refused, timed out, closed)
    if type(orig).__module__.startswith("psycopg") and isinstance(exc, OperationalError):
        return UNREACHABLE
    return None


def _cause(exc) -> str:
    """The driver's own first line, for the log."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def classify(exc) -> Classified | None:
    """The status, message and field messages of a refusal; None for what is not one (a bug)."""
    if isinstance(exc, ValidationError):
        errors = flatten(exc.messages)
        return Classified(422, MESSAGES[422], errors, "invalid input: " + "; ".join(
            f"{name}: {' '.join(map(str, msgs))}" for name, msgs in errors.items()))
    if isinstance(exc, Refusal):
        return Classified(exc.status, str(exc), {exc.field or "_schema": [str(exc)]},
                          f"{exc.field}: {exc}" if exc.field else str(exc))
    if isinstance(exc, instances.Stale):        # its message names the instance: for the log only
        return Classified(409, LOST_RACE, {}, LOST_RACE)
    if isinstance(exc, instances.Missing):      # likewise: the log keeps the engine's words
        return Classified(404, GONE, {}, str(exc))
    for kind, status in ((instances.NotFound, 404), (instances.Conflict, 409)):
        if isinstance(exc, kind):
            message = str(exc) or MESSAGES[status]
            return Classified(status, message, {}, message)
    if lost_race(exc):
        return Classified(409, LOST_RACE, {}, LOST_RACE)
    why = unavailable(exc)
    if why is not None:
        return Classified(503, why, {}, why, retry_after=RETRY_AFTER[why])
    return None


def log_unavailable(found: Classified, exc):
    """Where a 503 is answered (once per request or command): the log says what the database did."""
    if found.status == 503:
        log.warning("database %s (answered 503, Retry-After %s s): %s",
                    "unreachable" if found.message == UNREACHABLE else "busy", found.retry_after, _cause(exc))


# The database's errors: a lost race, an unreachable or busy database, or a bug (not classified).
DATABASE_ERRORS = (DBAPIError, PoolTimeout)
# What to catch where every refusal is answered the same way (the CLI, the API).
REFUSALS = (ValidationError, Refusal, instances.NotFound, instances.Conflict, *DATABASE_ERRORS)
