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
