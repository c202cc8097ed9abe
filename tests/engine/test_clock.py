"""engine.clock and the `clock` commands: the simulated clock is stored in the database and shared by
every process; it moves only by set/advance, never backwards by advance, never to a naive instant;
the real clock refuses to be moved."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from engine import events
from engine.clock import ClockError, RealClock, SimulatedClock, make_clock
from engine.db import Base, Database, get_db
from engine.models import Event, SimClock
from tests.conftest import make_app

SHANGHAI = timezone(timedelta(hours=8))
T = datetime(2026, 3, 2, 16, 5, tzinfo=SHANGHAI)


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


# --- SimulatedClock ---------------------------------------------------------------------------------

def test_the_simulated_clock_is_shared_through_the_database(db):
    cli, scheduler = SimulatedClock(), SimulatedClock()        # two processes, one database
    assert cli.now() == SimulatedClock.DEFAULT
    with db.unit_of_work() as session:
        assert cli.set(session, T) == T
    assert cli.now() == T and cli.now().utcoffset() == timedelta(0)
    assert scheduler.now() == SimulatedClock.DEFAULT           # frozen until it syncs
    with db.unit_of_work() as session:
        scheduler.sync(session)
    assert scheduler.now() == T
    with db.unit_of_work() as session:
        assert scheduler.advance(session, timedelta(hours=2)) == T + timedelta(hours=2)
    with db.unit_of_work() as session:
        cli.sync(session)
        assert cli.now() == T + timedelta(hours=2)
        assert session.scalar(select(func.count()).select_from(SimClock)) == 1


def test_advance_starts_from_the_stored_instant_not_a_stale_one(db):
    a, b = SimulatedClock(), SimulatedClock()
    with db.unit_of_work() as session:
        a.set(session, T)
    with db.unit_of_work() as session:
        b.sync(session)
        b.advance(session, timedelta(days=1))
    with db.unit_of_work() as session:                         # `a` still believes T
        assert a.advance(session, timedelta(hours=1)) == T + timedelta(days=1, hours=1)


def test_the_clock_is_frozen_between_moves(db):
    clock = SimulatedClock()
    with db.unit_of_work() as session:
        clock.set(session, T)
    assert {clock.now() for _ in range(100)} == {T}


def test_advance_refuses_going_backwards_and_changes_nothing(db):
    clock = SimulatedClock()
    with db.unit_of_work() as session:
        clock.set(session, T)
    with pytest.raises(ClockError, match="only moves forward"):
        with db.unit_of_work() as session:
            clock.advance(session, timedelta(seconds=-1))
    other = SimulatedClock()
    with db.unit_of_work() as session:
        other.sync(session)
    assert clock.now() == other.now() == T


def test_a_naive_instant_is_refused(db):
    clock = SimulatedClock()
    with pytest.raises(ClockError, match="UTC offset"):
        with db.unit_of_work() as session:
            clock.set(session, datetime(2026, 3, 2, 16, 5))
    with db.unit_of_work() as session:
        assert session.get(SimClock, 1) is None
    assert clock.now() == SimulatedClock.DEFAULT


def test_the_real_clock_refuses_to_move(db):
    clock = RealClock()
    assert not clock.simulated
    before = datetime.now(timezone.utc)
    assert before <= clock.now() and clock.now().tzinfo is not None
    with db.unit_of_work() as session:
        clock.sync(session)
        with pytest.raises(ClockError):
            clock.set(session, T)
        with pytest.raises(ClockError):
            clock.advance(session, timedelta(hours=1))
        assert session.get(SimClock, 1) is None


def test_make_clock():
    assert isinstance(make_clock("real"), RealClock)
    assert isinstance(make_clock("simulated"), SimulatedClock)
    with pytest.raises(ValueError, match="CITYGRID_CLOCK"):
        make_clock("fast")


# --- the commands ---------------------------------------------------------------------------------

def migrated(app):
    Base.metadata.create_all(get_db(app).engine)
    return app.test_cli_runner()


def ok(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def refused(result):
    """Non-zero, no traceback, exactly one line of error message."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    return errors[0]


def clock_events(app):
    with get_db(app).unit_of_work() as session:
        return [(e.data["from"], e.data["to"]) for e in events.get_stream(session, events.SYSTEM)
                if e.kind == "clock_changed"]


def test_clock_commands_on_the_simulated_clock(app):
    runner = migrated(app)
    assert ok(runner, "clock", "show") == "2026-03-02T08:00:00+08:00 simulated"
    assert ok(runner, "clock", "set", "2026-03-02T16:05") == "2026-03-02T16:05:00+08:00"   # naive: Beijing time
    assert ok(runner, "clock", "advance", "PT2H") == "2026-03-02T18:05:00+08:00"
    assert ok(runner, "clock", "advance", "90m") == "2026-03-02T19:35:00+08:00"
    assert ok(runner, "clock", "advance", "P1D") == "2026-03-03T19:35:00+08:00"           # elapsed time
    assert ok(runner, "clock", "advance", "3d") == "2026-03-06T19:35:00+08:00"
    assert ok(runner, "clock", "set", "2026-03-09T01:00:00+00:00") == "2026-03-09T09:00:00+08:00"
    assert ok(runner, "clock", "show") == "2026-03-09T09:00:00+08:00 simulated"
    # every move is on the system log
    assert clock_events(app) == [
        ("2026-03-02T00:00:00+00:00", "2026-03-02T08:05:00+00:00"),
        ("2026-03-02T08:05:00+00:00", "2026-03-02T10:05:00+00:00"),
        ("2026-03-02T10:05:00+00:00", "2026-03-02T11:35:00+00:00"),
        ("2026-03-02T11:35:00+00:00", "2026-03-03T11:35:00+00:00"),
        ("2026-03-03T11:35:00+00:00", "2026-03-06T11:35:00+00:00"),
        ("2026-03-06T11:35:00+00:00", "2026-03-09T01:00:00+00:00"),
    ]
    with get_db(app).unit_of_work() as session:
        assert events.verify_stream(session, events.SYSTEM).ok


def test_the_clock_is_shared_by_two_apps_on_one_database(app):
    runner = migrated(app)
    ok(runner, "clock", "set", "2026-03-02T16:05")
    other = make_app(app.config["DATABASE_URL"])
    try:
        assert ok(other.test_cli_runner(), "clock", "show") == "2026-03-02T16:05:00+08:00 simulated"
        ok(other.test_cli_runner(), "clock", "advance", "PT1H")
    finally:
        get_db(other).dispose()
    assert ok(runner, "clock", "show") == "2026-03-02T17:05:00+08:00 simulated"


@pytest.mark.parametrize("args", [
    ["clock", "set", "yesterday"],
    ["clock", "set", "2026-13-01T00:00"],
    ["clock", "set", ""],
    ["clock", "set"],
    ["clock", "set", "0001-01-01T00:00"],            # before the first representable UTC instant
    ["clock", "advance", "2x"],
    ["clock", "advance", "-PT1H"],
    ["clock", "advance", "-1h"],
    ["clock", "advance", "P1M"],                     # a month has no fixed length
    ["clock", "advance", "P1Y"],
    ["clock", "advance", ""],
    ["clock", "advance", "PT"],
    ["clock", "advance", "P"],
    ["clock", "advance", "99999999999d"],            # no such timedelta
    ["clock", "advance", "9999999d"],                # past the last datetime
    ["clock", "advance", "T2H"],
    ["clock", "frobnicate"],
])
def test_bad_clock_input_exits_nonzero_with_one_line_and_changes_nothing(app, args):
    runner = migrated(app)
    ok(runner, "clock", "set", "2026-03-02T16:05")
    refused(runner.invoke(args=args))
    assert ok(runner, "clock", "show") == "2026-03-02T16:05:00+08:00 simulated"
    assert len(clock_events(app)) == 1


def test_the_real_clock_refuses_set_and_advance(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'real.db'}", CITYGRID_CLOCK="real")
    try:
        runner = migrated(app)
        assert ok(runner, "clock", "show").endswith(" real")
        for args in (["clock", "set", "2026-03-02T16:05"], ["clock", "advance", "PT2H"]):
            result = runner.invoke(args=args)
            assert refused(result) == "Error: the real clock cannot be set (CITYGRID_CLOCK=real)"
            assert result.output.strip() == "Error: the real clock cannot be set (CITYGRID_CLOCK=real)"
        with get_db(app).unit_of_work() as session:
            assert session.get(SimClock, 1) is None
            assert session.scalar(select(func.count()).select_from(Event)) == 0
    finally:
        get_db(app).dispose()
