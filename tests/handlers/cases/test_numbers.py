"""Case numbers (handlers/cases/numbers.py): YYYYMMDD + the day's 5-digit serial from a counter row
taken under a lock, on SQLite and PostgreSQL: consecutive, never twice the same even when reports
race, no gap left by a report that rolled back, and idempotent reports that race answered with the
winner's case."""
import threading

import pytest
from alembic import command
from sqlalchemy import event, select, text

from engine import schema
from handlers.cases import service as cases
from handlers.cases.forms import ReportSchema
from handlers.cases.models import Case
from handlers.cases.numbers import CaseNumber
from tests.helpers import SEWAGE

GRID_USER = "grid-35020301100301"


def report_in_threads(city, n, *, at_once=None, **fields):
    """n reports at once, each in its own unit of work (as n requests would); returns the
    (case_no, created) of each, or the exception it raised."""
    start, results = threading.Barrier(n), []

    def one(i):
        def do(session):
            data = ReportSchema().load({**SEWAGE, **fields, "description": f"{SEWAGE['description']} {i}"})
            case, created = cases.report(session, city.runtime, city.directory,
                                         user=city.user(session, GRID_USER), data=data)
            return case.case_no, created
        start.wait(timeout=30)
        try:
            results.append(city.work(do))
        except Exception as exc:   # noqa: BLE001  (asserted below: there must be none)
            results.append(exc)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert not any(t.is_alive() for t in threads)
    return results


def test_numbers_are_the_days_serials_and_start_again_each_day(city):
    city.set_clock("2026-03-02 16:05")
    assert [city.report() for _ in range(3)] == ["2026030200001", "2026030200002", "2026030200003"]
    city.set_clock("2026-03-03 00:10")             # Beijing date, not UTC: 2 March 16:10 UTC
    assert city.report() == "2026030300001"
    city.set_clock("2026-03-02 23:59")
    assert city.report() == "2026030200004"


def test_a_report_rolled_back_gives_its_number_back(city):
    city.set_clock("2026-03-02 16:05")
    assert city.report() == "2026030200001"

    class Outage(Exception):
        pass

    def report_then_fail(session):
        data = ReportSchema().load(SEWAGE)
        case, _ = cases.report(session, city.runtime, city.directory, user=city.user(session, GRID_USER), data=data)
        assert case.case_no == "2026030200002"
        raise Outage()
    with pytest.raises(Outage):
        city.work(report_then_fail)
    assert city.report() == "2026030200002"
    assert city.work(lambda s: s.scalars(select(Case.case_no).order_by(Case.case_no)).all()) == [
        "2026030200001", "2026030200002"]


def test_a_day_without_its_counter_row_continues_after_its_cases(city):
    """Cases numbered by an older version, or written by a bulk tool, without the day's row."""
    city.set_clock("2026-03-02 16:05")
    city.report(), city.report()
    city.work(lambda s: s.execute(text("DELETE FROM case_numbers")))
    assert city.report() == "2026030200003"


def test_the_migration_starts_each_day_after_its_highest_number(city):
    for when in ("2026-03-02 16:05", "2026-03-02 16:06", "2026-03-03 09:00"):
        city.set_clock(when)
        city.report()
    url = city.db.url
    city.db.dispose()
    command.downgrade(schema.config(url), "0009")
    schema.upgrade(url)
    rows = city.work(lambda s: sorted((r.day, r.serial) for r in s.scalars(select(CaseNumber))))
    assert rows == [("20260302", 2), ("20260303", 1)]
    city.set_clock("2026-03-02 17:00")
    assert city.report() == "2026030200003"


def test_reports_at_the_same_moment_never_collide(city):
    """Before the counter, eight reports at once were numbered "today's count + 1" and all but one
    failed on the unique case number. Now each waits for the day's counter row: 1 to 8, no gap."""
    city.set_clock("2026-03-02 16:05")
    results = report_in_threads(city, 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(no for no, _ in results) == [f"20260302{n:05d}" for n in range(1, 9)]
    assert all(created for _, created in results)


def test_racing_reports_of_one_reference_file_one_case(city):
    """Four reports with the same reference at once. On PostgreSQL all four have looked for the
    reference and found nothing before any of them files (a barrier after that query): the three
    that file next meet the unique key, and the service answers them with the first one's case. On
    SQLite a writing unit of work takes the write lock first, so they come one after the other."""
    city.set_clock("2026-03-02 16:05")
    overlap = city.db.engine.dialect.name == "postgresql"
    looked = threading.Barrier(4)

    def after_the_lookup(conn, cursor, statement, parameters, context, executemany):
        if overlap and "external_ref" in statement and statement.lstrip().upper().startswith("SELECT") \
                and not conn.info.get("looked"):
            conn.info["looked"] = True
            looked.wait(timeout=30)

    def forget(conn, *_):
        conn.info.pop("looked", None)
    event.listen(city.db.engine, "after_cursor_execute", after_the_lookup)
    event.listen(city.db.engine, "commit", forget)
    event.listen(city.db.engine, "rollback", forget)
    try:
        results = report_in_threads(city, 4, external_ref="app-race-1")
    finally:
        event.remove(city.db.engine, "after_cursor_execute", after_the_lookup)
        event.remove(city.db.engine, "commit", forget)
        event.remove(city.db.engine, "rollback", forget)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({no for no, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert city.work(lambda s: s.query(Case).count()) == 1
    assert city.report() == "2026030200002"        # the losers gave their number back
