"""What an API view reads of its request's world: the request's session (one unit of work per
request, see engine.db), the clock read at its start, the runtime, the org tree, the config."""
from flask import current_app
from sqlalchemy.exc import IntegrityError

from engine.db import get_session


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
    """Run a service call; when it loses a race on a unique key (two reports numbered at once),
    roll back and run it again on the fresh state. Only for calls that are safe to repeat."""
    db = session()
    for attempt in range(attempts):
        last = attempt + 1 == attempts
        try:
            result = fn()
            db.flush()
            return result
        except IntegrityError:
            if last:
                raise
            db.rollback()   # (the engine forgets its remembered event heads on any rollback)
            runtime().clock.sync(db)
