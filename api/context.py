"""What an API view reads of its request's world: the request's session (one unit of work per
request, see engine.db), the clock read at its start, the runtime, the org tree, the config."""
from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError

from engine import instances
from engine.db import get_session
from handlers import errors


def session():
    return get_session()


def runtime():
    return current_app.extensions["citygrid.runtime"]


def directory():
    return current_app.extensions["citygrid.directory"]


def now():
    return runtime().clock.now()


def config(key):
    return current_app.config[key]


def begin():
    """before_request: open the session and read the clock (the body is bounded app-wide by
    MAX_CONTENT_LENGTH, CITYGRID_MAX_REQUEST_BYTES)."""
    runtime().clock.sync(session())


def retrying(fn, attempts=3):
    """Run a service call; when it loses a race (a unique key, the case saved meanwhile by someone
    else — a detection attached while a step completes —, a PostgreSQL deadlock), roll back and run
    it again on the fresh state, so that the client is not told 409 for what a retry settles. Only
    for calls that are safe to repeat (reports and detections: idempotent on their reference)."""
    db = session()
    for attempt in range(attempts):
        last = attempt + 1 == attempts
        try:
            result = fn()
            db.flush()
            return result
        except (IntegrityError, OperationalError, instances.Stale) as exc:
            if last or not (isinstance(exc, instances.Stale) or errors.lost_race(exc)):
                raise
            db.rollback()   # (the engine forgets its remembered event heads on any rollback)
            runtime().clock.sync(db)
