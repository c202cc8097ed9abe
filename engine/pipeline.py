"""Pipelined writes on PostgreSQL: the rows a step derives (its events, timers, case row, open
tasks, notifications) are sent one statement after another without waiting for each answer
(psycopg's pipeline mode) and the answers read together where the pipeline ends: one round trip
for them where there was one a statement (about eight a step).

Only statements marked with `PIPELINED`, and the writes engine.direct sends, go out unanswered:
plain INSERTs, UPDATEs and DELETEs whose result nobody reads (no RETURNING) but a rowcount read
where the pipeline ends (`direct.counted`: a step's version check). Any other statement met
inside — a read, a RETURNING, an ORM flush (it checks rowcounts) — first ends the pipeline, and so
is answered as it always was; the next marked statement opens a new one (a sweep's batch reads a
unit's users between the writes of its cases). An error of a pipelined statement is raised where
its pipeline ends, as the DBAPIError SQLAlchemy raises for a statement run alone. On SQLite
(in-process: no round trips) it does nothing.
"""
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

# Execution options of a statement that may go out unanswered (`.execution_options(**PIPELINED)`).
PIPELINED = {"citygrid_pipelined": True}
# in the pooled connection's info: that a `writes` block is running on it, and the pipeline open now
_INSIDE, _OPEN = "citygrid.pipelining", "citygrid.pipeline"


@contextmanager
def writes(connection):
    """Inside, the marked statements on this SQLAlchemy `connection` (PostgreSQL) are pipelined;
    a block inside another is part of it; elsewhere nothing changes."""
    info = connection.connection.info
    if connection.dialect.name != "postgresql" or info.get(_INSIDE):
        yield
        return
    info[_INSIDE] = True
    try:
        yield
    except BaseException as exc:
        _end(info, exc)
        raise
    else:
        try:
            _end(info)
        except connection.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(None, None, exc, connection.dialect.loaded_dbapi.Error,
                                      dialect=connection.dialect) from exc
    finally:
        info.pop(_INSIDE, None)


def _end(info, exc=None):
    """Read the answers of what went out and leave pipeline mode (raises a pipelined statement's error)."""
    opened = info.pop(_OPEN, None)
    if opened is not None:
        opened.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)


def opened(connection):
    """Open the pipeline for a statement about to go out on `connection`'s driver cursor past
    SQLAlchemy's execution (engine.direct), as `install`'s hook does for the marked ones that go
    through it; whether it goes out pipelined."""
    info = connection.connection.info
    if not info.get(_INSIDE):
        return False
    if _OPEN not in info:
        _open(connection, info)
    return True


def answered(connection):
    """End the pipeline open on `connection`, if any, before a statement that is read at once goes
    out past SQLAlchemy's execution (engine.direct's reads), as `install`'s hook does for the
    statements that go through it: a pipelined statement's error is raised here."""
    info = connection.connection.info
    if _OPEN in info:
        _end(info)


def _open(conn, info):
    # (the context manager around psycopg's Pipeline is what ends it: kept, not the Pipeline)
    opened = conn.connection.dbapi_connection.pipeline()
    opened.__enter__()
    info[_OPEN] = opened


def install(engine):
    """Make `engine` pipeline the marked statements inside `writes`, and end the pipeline before any other."""
    @event.listens_for(engine, "before_cursor_execute")
    def _route(conn, _cursor, _statement, _parameters, context, _executemany):
        info = conn.connection.info
        if not info.get(_INSIDE):
            return
        if context is not None and context.execution_options.get("citygrid_pipelined"):
            if _OPEN not in info:
                _open(conn, info)
        elif _OPEN in info:
            _end(info)
