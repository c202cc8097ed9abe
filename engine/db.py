"""The database: declarative base, engine and session factories, one unit of work per request,
command or job: it commits once at its end, or rolls back on any error or refusal.

Reads take no write lock: on SQLite a writing unit of work begins IMMEDIATE (two writers queue
instead of failing on a stale snapshot), while a reading one (a GET request, an audit) begins
deferred and so never waits behind, or holds up, a writer. The writers of one process take the
SQLite write lock in the order they asked for it (`WriterQueue`); the commits leave the WAL's checkpoints to a
thread of the process (engine.checkpoints).

A server database (PostgreSQL) gets a connection pool per process, sized by `pool_settings` (the
app's CITYGRID_DB_POOL_* settings; under gunicorn, per worker) and checked before use when it sat
idle (`_ping_when_idle`), so a connection the server dropped is replaced instead of failing a request."""
import sqlite3
import threading
import time
from collections import deque
from contextlib import contextmanager

from flask import g, current_app, request
from sqlalchemy import create_engine, event, MetaData
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from werkzeug.routing import IntegerConverter

from . import checkpoints, direct, pipeline

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
CONNECT_TIMEOUT_SECONDS = 5     # PostgreSQL: how long a new connection may take
# The largest row id both databases take (a 64-bit signed integer); a larger one names no row, and
# handing it to the driver fails (OverflowError in sqlite3, out of range on PostgreSQL).
MAX_ID = 2 ** 63 - 1


def valid_id(value):
    """`value` as a row id (an int from 1 to MAX_ID, or its decimal text), else None: every id
    from outside goes through here (or IdConverter) before it reaches a query."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 19:
            return None
        value = int(value)
    return value if isinstance(value, int) and 1 <= value <= MAX_ID else None


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond MAX_ID matches no route (404), never a 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Database:
    """An SQLAlchemy engine and its session factory."""

    def __init__(self, url, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.writers = getattr(self.engine, "citygrid_writers", None)   # SQLite: this process's writer queue
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessionmaker = sessionmaker(self.engine.execution_options(read_only=True), expire_on_commit=False)

    @contextmanager
    def unit_of_work(self):
        """A session that commits once at the end, or rolls back on any error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self, strict=False):
        """A session for reading only: deferred on SQLite; whatever it did is rolled back at the end.
        `strict`: the database itself refuses any write in it (PostgreSQL: a READ ONLY transaction;
        SQLite: query_only until the connection goes back to the pool), so a long read that would
        write (an audit) fails at once instead of taking SQLite's write lock and holding it to its
        end, every writer waiting behind it; and it reads one snapshot throughout (PostgreSQL:
        REPEATABLE READ; SQLite's transactions always do), so that what it compares (a case's
        events, its instance, its derived rows) was all written by the same commits."""
        session = self.read_sessionmaker()
        try:
            if strict:
                connection = session.connection()
                if self.engine.dialect.name == "sqlite":
                    connection.connection.info["citygrid.query_only"] = True
                    connection.exec_driver_sql("PRAGMA query_only = ON")
                else:
                    connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield session
        finally:
            session.rollback()
            session.close()

    def read(self, statement):
        """Run a read-only query outside any unit of work (never waits for a writer). On a server
        database in autocommit: one statement needs no transaction, and BEGIN and ROLLBACK were two
        of its four round trips (this runs before every request)."""
        options = {"read_only": True}
        if self.engine.dialect.name != "sqlite":     # SQLite's BEGIN is ours to send (make_engine)
            options["isolation_level"] = "AUTOCOMMIT"
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            return direct.rows(conn, statement)

    def dispose(self):
        checkpointer = getattr(self.engine, "citygrid_checkpointer", None)
        if checkpointer is not None:
            checkpointer.stop()
            self.engine.citygrid_checkpointer = None     # used again: its next connection starts another
        self.engine.dispose()


# Per process: a gunicorn worker's threads each hold at most one request's session (and a short unit of
# work beside it), so workers × (size + overflow) must stay below the server's max_connections.
POOL_DEFAULTS = {"pool_size": 5, "max_overflow": 5, "pool_timeout": 10.0, "pool_recycle": 1800}
POOL_SETTINGS = {"pool_size": "CITYGRID_DB_POOL_SIZE", "max_overflow": "CITYGRID_DB_MAX_OVERFLOW",
                 "pool_timeout": "CITYGRID_DB_POOL_TIMEOUT", "pool_recycle": "CITYGRID_DB_POOL_RECYCLE"}


def pool_settings(config):
    """The pool of a server database from the app's configuration (CITYGRID_DB_POOL_SIZE,
    _MAX_OVERFLOW, _TIMEOUT in seconds, _RECYCLE in seconds), each falling back to POOL_DEFAULTS."""
    return {key: type(POOL_DEFAULTS[key])(config.get(name) or POOL_DEFAULTS[key])
            for key, name in POOL_SETTINGS.items()}


WRITER_WAIT = 10   # seconds a writer waits for its turn before it falls back on SQLite's own busy wait
SQLITE_MMAP_BYTES = 256 * 2 ** 20   # how much of a SQLite file is read through a memory map


class WriterQueue:
    """SQLite has one writer at a time. Left to SQLite's busy handler, waiting writers retry on a
    backoff that reaches 100 ms, so the one that has waited longest retries least often and a
    fresh one (a sweep's next batch) nearly always wins: under load some requests wait many
    seconds. The writers of this process therefore queue here first and get their turn in the
    order they asked; other processes' writers still meet SQLite's own busy handler."""

    def __init__(self, timeout):
        self.timeout = timeout
        self._condition = threading.Condition()
        self._waiting = deque()
        self._busy = False

    def enter(self) -> bool:
        """Wait for this writer's turn; False after `timeout` (it then goes on to SQLite's own wait)."""
        with self._condition:
            me = object()
            self._waiting.append(me)
            deadline = time.monotonic() + self.timeout
            while self._busy or self._waiting[0] is not me:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._condition.wait(remaining):
                    if self._busy or self._waiting[0] is not me:
                        self._waiting.remove(me)
                        self._condition.notify_all()
                        return False
            self._waiting.popleft()
            self._busy = True
            return True

    def waiting(self) -> int:
        """How many of this process's writers wait for their turn now."""
        with self._condition:
            return len(self._waiting)

    def leave(self):
        with self._condition:
            self._busy = False
            self._condition.notify_all()


def make_engine(url, pool=None, **kwargs):
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and the writer queue (and
    SQLAlchemy's own pool: one file, no server to size it for); a server database the `pool`
    settings, a ping before a connection that sat idle is used again."""
    if url.startswith("sqlite"):
        timeout = kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        # A connection per thread that asks (a file handle each): writers wait in the queue with
        # theirs checked out, and the one whose turn it is must never wait for the pool in turn.
        kwargs.setdefault("max_overflow", -1)
        kwargs.setdefault("pool_use_lifo", True)        # see LIFO below
        engine = create_engine(url, **kwargs)
        writers = engine.citygrid_writers = WriterQueue(min(timeout, WRITER_WAIT))
        engine.citygrid_checkpointer, starting = None, threading.Lock()

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            # Pages read through a memory map (the OS's cache, shared by every connection) rather
            # than copied into each connection's 2 MiB cache: an index probed at random (a list's
            # rows checked one by one) re-read its pages with a system call each time.
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            # Checkpoints are the checkpointer thread's (engine.checkpoints); a commit checkpoints
            # only past this threshold, should that thread not run.
            cur.execute(f"PRAGMA wal_autocheckpoint={checkpoints.FALLBACK_PAGES}")
            cur.close()
            with starting:
                if engine.citygrid_checkpointer is None:
                    engine.citygrid_checkpointer = checkpoints.start(engine)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # IMMEDIATE: a unit of work takes the write lock up front, so two racing writers
            # serialise instead of failing to upgrade a stale read snapshot (SQLITE_BUSY_SNAPSHOT).
            # Reads marked read_only (GET requests, audits, the org-tree cache) must not wait for it.
            read_only = conn.get_execution_options().get("read_only")
            if not read_only:
                info = conn.connection.info          # the pooled connection's, kept until it is returned
                if not info.get("citygrid.writer"):
                    info["citygrid.writer"] = writers.enter()
            # on the driver's connection: SQLAlchemy's execution of it cost more than SQLite's work
            try:
                conn.connection.dbapi_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
            except sqlite3.Error as exc:        # e.g. the write lock's wait ran out: "database is locked"
                raise DBAPIError.instance("BEGIN", (), exc, sqlite3.Error, dialect=conn.dialect) from exc

        def _writer_done(record):
            # Back in the pool (after its COMMIT or ROLLBACK), invalidated or closed: the next writer's turn.
            if record is not None and record.info.pop("citygrid.writer", False):
                writers.leave()

        def _writable_again(dbapi_conn, record):
            # a strict read (Database.reading) made this connection query_only: not for whoever is next
            if record is not None and record.info.pop("citygrid.query_only", False) and dbapi_conn is not None:
                dbapi_conn.execute("PRAGMA query_only = OFF")

        event.listen(engine.pool, "checkin", _writable_again)
        event.listen(engine.pool, "checkin", lambda _dbapi, record: _writer_done(record))
        event.listen(engine.pool, "reset", lambda _dbapi, record, _state: _writer_done(record))
        event.listen(engine.pool, "invalidate", lambda _dbapi, record, _exc: _writer_done(record))
        event.listen(engine.pool, "close", lambda _dbapi, record: _writer_done(record))
        return engine
    if url.startswith("postgresql"):
        # An unreachable server fails within seconds (answered 503) rather than after TCP's minutes.
        kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    kwargs.setdefault("pool_use_lifo", True)
    engine = create_engine(url, **{**(pool or {}), **kwargs})
    _ping_when_idle(engine)
    pipeline.install(engine)
    return engine


# LIFO: the pool hands out the connection used last. Handed out in turn (SQLAlchemy's default),
# each unit of work met a connection whose caches another had made stale: SQLite's page cache,
# dropped by a BEGIN that finds the file changed (BEGIN IMMEDIATE took 30 µs where it takes 6, and
# the reads after it re-read their pages), and psycopg's prepared statements, made per connection.
# The bench/lifecycle.py step on SQLite cost 5% less. The ones left at the bottom sit idle (and
# are pinged before they are used again, `_ping_when_idle`).

PING_IDLE_SECONDS = 1.0     # a pooled connection back for longer than this is pinged before it is used


def _ping_when_idle(engine):
    """Pre-ping, for the connections that sat in the pool: one that has been back for more than
    PING_IDLE_SECONDS is pinged when checked out, and one the server dropped meanwhile (a restart)
    is replaced by a new one (DisconnectionError: the pool's own retry), so the app recovers by
    itself once the database is back. A connection checked in again within that second is used as
    it is: SQLAlchemy's pre-ping on every checkout was a round trip in every unit of work. Should the
    server have dropped it in that second, its first statement fails as a disconnect (answered 503,
    as during the outage itself) and SQLAlchemy then replaces every connection of the pool."""
    @event.listens_for(engine.pool, "checkin")
    def _back(_dbapi_connection, record):
        if record is not None:
            record.info["citygrid.idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _check(dbapi_connection, record, _proxy):
        since = record.info.pop("citygrid.idle_since", None)
        if since is None or time.monotonic() - since <= PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"pooled connection dropped by the server: {exc}") from exc


READ_METHODS = ("GET", "HEAD", "OPTIONS")


def init_app(app):
    """Attach the database to the app: one unit of work per request, committed once after a
    successful response (status below 400) and rolled back after any other.

    A commit that fails (a lost race caught by the database, or the database gone) is answered by
    the app's `citygrid.commit_error` hook, which knows whether the request wants JSON or a page."""
    url = app.config["DATABASE_URL"]
    app.extensions["citygrid.db"] = Database(url, pool=None if url.startswith("sqlite") else pool_settings(app.config))
    app.after_request(_finish_request)
    app.teardown_appcontext(_close_session)


def get_db(app=None) -> Database:
    return (app or current_app).extensions["citygrid.db"]


def get_session():
    """The request's session (web and API): a reading one for GET, HEAD and OPTIONS."""
    if "db_session" not in g:
        database = get_db()
        reading = request.method in READ_METHODS if request else False
        g.db_session = (database.read_sessionmaker if reading else database.sessionmaker)()
    return g.db_session


def discard():
    """Throw away what this request changed: for a view that answers a refusal itself (a form shown
    again, a redirect with a message) with a status that would otherwise commit."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    g.db_discarded = True


def keep():
    """Commit what this request wrote although it answers a refusal: for a refusal that must leave
    a record (a wrong password counts against the login limit)."""
    g.db_kept = True


def _finish_request(response):
    session = g.get("db_session")
    if session is None:
        return response
    kept = g.pop("db_kept", False)
    if (response.status_code >= 400 and not kept) or g.pop("db_discarded", False):
        try:
            session.rollback()
        except DBAPIError:
            pass   # the connection is gone (the 503 of an outage): so is its transaction
        return response
    try:
        session.commit()
    except Exception as exc:
        try:
            session.rollback()
        except DBAPIError:
            pass
        answer = current_app.extensions.get("citygrid.commit_error")
        if answer is None:
            raise
        return answer(exc)
    return response


def _close_session(exc):
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
