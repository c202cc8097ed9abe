"""What the domain refuses, and what each refusal means to whoever asked: one table from exception
to status, message and field messages, used alike by the API (JSON), the web UI (pages) and the
CLI (one line). No view or command maps an exception itself.

Domain errors subclass one of the refusals below and name the input field at fault; the engine's
own NotFound and Conflict, marshmallow's ValidationError and the database's lost races are
classified here too. Anything else is a bug and is raised, never reported as a refusal."""
from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

from engine import instances

MESSAGES = {   # the message of a status when the error carries none of its own
    400: "请求格式错误", 401: "未登录或令牌无效", 403: "无权操作", 404: "不存在", 405: "不支持此方法",
    409: "冲突：数据已被修改，请刷新后重试", 413: "请求体过大", 415: "不支持的内容类型", 422: "输入有误",
    503: "系统繁忙，请稍后重试",
}
LOST_RACE = "冲突：同时有其他请求修改了数据，请重试"
BUSY = "系统繁忙：数据库正忙，请稍后重试"


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
    """A database error that means another request won: a duplicate key, a serialization failure
    or deadlock (PostgreSQL)."""
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, OperationalError):
        return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40001", "40P01")
    return False


def busy(exc) -> bool:
    """SQLite's lock wait ran out (`database is locked`): nobody changed the data, the database was
    only too busy to let this request write in time — try again later, not a conflict."""
    return isinstance(exc, OperationalError) and "database is locked" in str(getattr(exc, "orig", "")).lower()


def classify(exc) -> Classified | None:
    """The status, message and field messages of a refusal; None for what is not one (a bug)."""
    if isinstance(exc, ValidationError):
        errors = flatten(exc.messages)
        return Classified(422, MESSAGES[422], errors, "invalid input: " + "; ".join(
            f"{name}: {' '.join(map(str, msgs))}" for name, msgs in errors.items()))
    if isinstance(exc, Refusal):
        return Classified(exc.status, str(exc), {exc.field or "_schema": [str(exc)]},
                          f"{exc.field}: {exc}" if exc.field else str(exc))
    for kind, status in ((instances.NotFound, 404), (instances.Conflict, 409)):
        if isinstance(exc, kind):
            message = str(exc) or MESSAGES[status]
            return Classified(status, message, {}, message)
    if lost_race(exc):
        return Classified(409, LOST_RACE, {}, LOST_RACE)
    if busy(exc):
        return Classified(503, BUSY, {}, BUSY)
    return None


# What to catch where every refusal is answered the same way (the CLI, the API).
REFUSALS = (ValidationError, Refusal, instances.NotFound, instances.Conflict, IntegrityError, OperationalError)
