"""The one clock. Nothing else in the app asks the system for the time.

Beside the project's clock (real, or simulated for tests and demos), `wall_time` is real time
always: leases and heartbeats measure how long a process has been silent, and a process dies in
real time even while the simulated clock stands still."""
from datetime import datetime, timezone

from sqlalchemy import func, select

from . import events
from .models import SimClock


class ClockError(Exception):
    """A clock operation that is not allowed (e.g. setting the real clock)."""


class RealClock:
    simulated = False

    def now(self):
        return datetime.now(timezone.utc)

    def sync(self, session):
        """Nothing to load: the real clock is the system's."""

    def set(self, session, instant):
        raise ClockError("the real clock cannot be set (CITYGRID_CLOCK=real)")

    advance = set


class SimulatedClock:
    """A clock stored in the database, moved only by `set` and `advance`; frozen in between.

    `sync` loads the stored instant at the start of every unit of work, so that the CLI, the
    scheduler and the web app share one simulated time.
    """

    simulated = True
    DEFAULT = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)

    def __init__(self, instant=None):
        self._now = instant or self.DEFAULT

    def now(self):
        return self._now

    def sync(self, session):
        row = session.get(SimClock, 1)
        if row is not None:
            self._now = row.now

    def set(self, session, instant):
        if instant.tzinfo is None:
            raise ClockError("a clock instant needs a UTC offset")
        try:
            instant = instant.astimezone(timezone.utc)
        except OverflowError:
            raise ClockError(f"{instant.isoformat()} is out of range") from None
        row = session.get(SimClock, 1)
        if row is None:
            session.add(SimClock(id=1, now=instant))
        else:
            row.now = instant
        session.flush()
        self._now = instant.astimezone(timezone.utc)
        return self._now

    def advance(self, session, delta):
        if delta.total_seconds() < 0:
            raise ClockError("the clock only moves forward")
        self.sync(session)
        try:
            target = self._now + delta
        except OverflowError:
            raise ClockError(f"cannot advance {self._now.isoformat()} by {delta}: out of range") from None
        return self.set(session, target)


def wall_time(session):
    """Real time, whatever the project's clock: the database server's on PostgreSQL (one clock for
    every machine sharing it), this machine's on SQLite (one machine)."""
    if session.bind.dialect.name == "postgresql":
        return session.scalar(select(func.clock_timestamp())).astimezone(timezone.utc)
    return datetime.now(timezone.utc)


def make_clock(kind):
    if kind == "real":
        return RealClock()
    if kind == "simulated":
        return SimulatedClock()
    raise ValueError(f"CITYGRID_CLOCK must be 'real' or 'simulated', not {kind!r}")


def move(db, clock, *, to=None, by=None, actor="cli"):
    """Set the simulated clock to `to`, or advance it `by`, in one unit of work, recorded on the
    system log (`clock_changed`, from and to); returns the new now. Raises ClockError."""
    with db.unit_of_work() as session:
        clock.sync(session)
        before = clock.now()
        now = clock.set(session, to) if to is not None else clock.advance(session, by)
        events.append(session, stream=events.SYSTEM, kind="clock_changed", at=now, actor=actor,
                      data={"from": before.isoformat(), "to": now.isoformat()})
    return now
