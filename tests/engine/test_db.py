"""engine.db: one unit of work per request (a success commits, a refusal writes nothing), and reads
that take no write lock on SQLite: a page, an API read and `audit verify --all` all answer while
another process holds the write lock."""
import sqlite3

import pytest
from sqlalchemy import func, select

from engine.models import Event
from tests.conftest import make_app
from tests.helpers import City
from tests.web.conftest import Browser


@pytest.fixture
def sqlite_city(tmp_path):
    path = tmp_path / "locked.db"
    city = City(make_app(f"sqlite:///{path}"))
    city.setup()
    city.set_clock("2026-03-02 16:05")
    city.path = path
    yield city
    city.app.extensions["citygrid.db"].dispose()


class WriteLock:
    """Another process's writer: an open IMMEDIATE transaction on the same database file."""

    def __init__(self, path):
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=0)

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("UPDATE sim_clock SET now = now")
        return self

    def __exit__(self, *exc):
        self.conn.execute("ROLLBACK")
        self.conn.close()


def test_reads_answer_while_another_process_holds_the_write_lock(sqlite_city):
    city = sqlite_city
    case_no = city.report()
    browser = Browser(city.app).login("intake")
    cli = city.app.test_cli_runner()
    with WriteLock(city.path):
        assert browser.get("/cases").status_code == 200
        assert browser.get(f"/cases/{case_no}").status_code == 200
        assert browser.get("/tasks").status_code == 200
        result = cli.invoke(args=["audit", "verify", "--all"])
        assert result.exit_code == 0 and result.stdout.strip().splitlines()[-1] == "1 of 1 cases verified"
        result = cli.invoke(args=["cases", "show", case_no, "--json"])
        assert result.exit_code == 0, result.output


def test_a_refused_request_writes_nothing_and_a_successful_one_commits(sqlite_city):
    city = sqlite_city
    case_no = city.report()
    events = lambda: city.work(lambda s: s.scalar(select(func.count()).select_from(Event)))   # noqa: E731
    before = events()
    browser = Browser(city.app).login("intake")
    task_id = city.task(case_no, "accept_report")["id"]
    refused = browser.post(f"/tasks/{task_id}", {"decision": "file"})          # urgency missing: 422
    assert refused.status_code == 422 and events() == before
    done = browser.post(f"/tasks/{task_id}", {"decision": "file", "urgency": "A"})
    assert done.status_code == 303 and events() == before + 1
    assert city.show(case_no)["status"] == "dispatching"


def backend_pid(database):
    with database.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def terminate(url, pid):
    from tests.conftest import _admin
    _admin(url, f"SELECT pg_terminate_backend({pid}, 5000)")


@pytest.fixture
def server_database(request):
    from engine.db import Database
    from tests.conftest import _postgres_url
    database = Database(_postgres_url(request), pool={"pool_size": 1, "max_overflow": 0})
    yield database
    database.dispose()


def test_a_pooled_connection_that_sat_idle_is_pinged_and_replaced_when_the_server_dropped_it(
        server_database, monkeypatch):
    """PostgreSQL restarted while a connection sat in the pool: the next unit of work gets a new
    connection, not an error (the ping before reuse; every connection back in the pool for longer
    than PING_IDLE_SECONDS counts as idle, here all of them)."""
    import engine.db
    monkeypatch.setattr(engine.db, "PING_IDLE_SECONDS", 0.0)
    dropped = backend_pid(server_database)
    terminate(server_database.url, dropped)
    with server_database.unit_of_work() as session:
        assert session.execute(select(func.pg_backend_pid())).scalar() != dropped


def test_a_connection_back_in_the_pool_within_the_idle_second_is_used_without_a_ping(server_database, monkeypatch):
    """No round trip for the ping in a busy pool: a connection the server dropped in the second
    after it came back fails its next statement as a disconnect (what a request meets during an
    outage, answered 503), and the pool replaces it for the unit of work after."""
    import engine.db
    from sqlalchemy.exc import OperationalError
    monkeypatch.setattr(engine.db, "PING_IDLE_SECONDS", 3600.0)
    dropped = backend_pid(server_database)
    terminate(server_database.url, dropped)
    with pytest.raises(OperationalError) as failed:
        with server_database.unit_of_work() as session:
            session.execute(select(func.pg_backend_pid())).scalar()
    assert failed.value.connection_invalidated
    with server_database.unit_of_work() as session:
        assert session.execute(select(func.pg_backend_pid())).scalar() != dropped


def test_the_pool_hands_out_the_connection_used_last(db_url):
    """LIFO: a unit of work gets the connection the last one returned, not the one that sat longest
    (whose SQLite page cache, or psycopg prepared statements, another unit of work made stale)."""
    from engine.db import Database
    database = Database(db_url)
    try:
        def driver(session):
            return session.connection().connection.dbapi_connection
        with database.unit_of_work() as outer:
            first = driver(outer)
            with database.reading() as inner:      # a second connection, returned before the first
                second = driver(inner)
        assert first is not second
        for _ in range(3):
            with database.unit_of_work() as session:
                assert driver(session) is first
    finally:
        database.dispose()
