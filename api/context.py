"""One API request = one unit of work: the request's session, synchronised with the clock at the
start, committed once after a successful view and rolled back after any error, so a refused
request writes nothing."""
from flask import current_app
from sqlalchemy.exc import IntegrityError

from engine.db import get_session

from . import errors


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


def finish(response):
    """after_request: commit on success, roll back otherwise (errors arrive here as responses)."""
    db = session()
    if response.status_code >= 400:
        db.rollback()
        return response
    try:
        db.commit()
    except Exception as exc:   # a lost race surfacing at commit: answered like one in the view
        db.rollback()
        if isinstance(exc, IntegrityError) or "locked" in str(exc).lower():
            return errors.error_response(409, errors.MESSAGES[409])
        raise
    return response


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
