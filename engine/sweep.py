"""The sweep: fire every timer due at the clock's now, in short batches of whole instances.

Exactly-once: a firing is part of the instance's state, saved with a version check in the same
transaction as everything it causes (and a penalty has a unique key of its own); a sweep that
races another, or dies half-way, leaves each instance either fired-and-committed or untouched, and
the next sweep takes what is left.

Whole instances are claimed, never single timer rows: a batch locks the rows of the due instances
it takes (PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, in id order), and the timer rows of an
instance are only ever written by whoever holds the instance row. Two sweepers therefore never
work on one instance and never wait for each other: an instance held by another sweeper, or by a
request saving it, is skipped — someone else has it — and one fired meanwhile is no longer due.

Batches are short in time, not only in count: a batch ends after `budget` seconds and commits.
SQLite has one writer, so there the sweep then steps aside for `pause` seconds (SQLite's busy
handler retries a waiting writer every 100 ms at most), and a request waits behind the sweep for
about one batch, never for the whole backlog.

The heartbeat (`last_heartbeat`, `heartbeat_age`) is the sweep's sign of life on real time, for
the readiness check and the metrics: every sweep writes it when it ends, and a long one also while
it works.
"""
import os
import socket
import time
from collections import deque
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from . import instances
from .clock import wall_time
from .models import Instance, SweepHeartbeat, Timer
from .timers import due_instances

BATCH = 50          # instances claimed at a time
BUDGET = 0.25       # seconds a batch may run before it commits
PAUSE = 0.1         # SQLite: seconds the sweep steps aside between batches for waiting writers
BEAT = 2.0          # seconds between heartbeats while a long sweep works


@dataclass
class SweepResult:
    instances: int = 0      # instances whose timers fired
    fired: int = 0          # timers fired
    conflicts: int = 0      # instances changed meanwhile by another unit of work (left for the next sweep)
    skipped: int = 0        # due when the sweep began, then held or already fired by someone else
    batches: int = 0
    longest_batch: float = 0.0   # seconds: the longest a batch kept its transaction open


@dataclass(frozen=True)
class Heartbeat:
    at: object              # the last sign of a working sweep (real time, UTC)
    by: str                 # which sweeper
    finished_at: object     # the end of the last complete sweep, or None
    seconds: float | None   # how long that sweep took
    instances: int
    fired: int


def sweeper_name():
    """This process, as heartbeats and leases name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def fire(session, runtime, instance_id, actor="timer"):
    """Fire the due timers of one instance in the caller's unit of work; returns how many fired.
    Nothing due (another sweeper fired them first) saves nothing."""
    loaded = instances.load(session, runtime, instance_id, actor=actor)
    fired = instances.fire_due_timers(loaded)
    if fired:
        instances.save(session, runtime, loaded)
    return len(fired)


def claim(session, ids, now):
    """Lock the rows of those of `ids` whose instance still has a timer due at `now`, skipping any
    another transaction holds (PostgreSQL; SQLite's writer lock is the whole database); returns
    the ids claimed."""
    still_due = exists().where(Timer.instance_id == Instance.id, Timer.due_at <= now)
    query = (select(Instance).where(Instance.id.in_(ids), still_due).order_by(Instance.id)
             .with_for_update(skip_locked=True, of=Instance)
             .execution_options(populate_existing=True))     # the row as locked, never a stale copy
    return {instance.id for instance in session.scalars(query)}


def sweep(db, runtime, *, actor="timer", batch=BATCH, budget=BUDGET, pause=None, on_progress=None,
          on_batch=None, by=None) -> SweepResult:
    """Fire every timer due at the clock's now, earliest first, a short batch per transaction.

    `on_progress(1)` is called after each instance; `on_batch(result)` after each committed batch
    (a scheduler renews its lease there): when it returns False the sweep stops, leaving the rest
    to whoever holds the lease now."""
    result = SweepResult()
    began = time.monotonic()
    by = by or sweeper_name()
    if pause is None:
        pause = PAUSE if db.engine.dialect.name == "sqlite" else 0
    with db.unit_of_work() as session:
        runtime.clock.sync(session)
        now = runtime.clock.now()
        queue = deque(due_instances(session, now))
    last_beat = time.monotonic()
    while queue:
        chunk = [queue.popleft() for _ in range(min(batch, len(queue)))]
        started = time.monotonic()
        with db.unit_of_work() as session:
            claimed = claim(session, chunk, now)
            result.skipped += len(chunk) - len(claimed)
            mine = [i for i in chunk if i in claimed]       # earliest due first
            for n, instance_id in enumerate(mine):
                if n and time.monotonic() - started >= budget:
                    queue.extendleft(reversed(mine[n:]))     # released at the commit, taken first next batch
                    break
                try:
                    with session.begin_nested():
                        fired = fire(session, runtime, instance_id, actor)
                except instances.Conflict:
                    result.conflicts += 1
                    continue
                if fired:
                    result.instances += 1
                    result.fired += fired
                if on_progress:
                    on_progress(1)
        result.batches += 1
        result.longest_batch = max(result.longest_batch, time.monotonic() - started)
        if on_batch is not None and on_batch(result) is False:
            break
        if queue and time.monotonic() - last_beat >= BEAT:
            beat(db, by)
            last_beat = time.monotonic()
        if queue and pause:
            time.sleep(pause)
    beat(db, by, result=result, seconds=time.monotonic() - began)
    return result


def beat(db, by, *, result=None, seconds=None):
    """Write the heartbeat in a unit of work of its own (never inside a batch: one row that every
    sweeper writes must not be held while instances are): a sign of life, and with `result` the
    figures of a complete sweep."""
    table = SweepHeartbeat.__table__
    with db.unit_of_work() as session:
        at = wall_time(session)
        values = dict(at=at, by=by)
        if result is not None:
            values.update(finished_at=at, seconds=seconds, instances=result.instances, fired=result.fired)
        dialect_insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        session.execute(dialect_insert(table).values(id=1, **{"instances": 0, "fired": 0, **values})
                        .on_conflict_do_update(index_elements=["id"], set_=values))


def last_heartbeat(session) -> Heartbeat | None:
    """The sweep's last sign of life, by whichever sweeper (None: no sweep has run yet)."""
    row = session.get(SweepHeartbeat, 1)
    if row is None:
        return None
    return Heartbeat(at=row.at, by=row.by, finished_at=row.finished_at, seconds=row.seconds,
                     instances=row.instances, fired=row.fired)


def heartbeat_age(session) -> float | None:
    """Seconds since the sweep's last sign of life, on the same real clock it was written with
    (None: no sweep has run yet). A readiness check compares it with the sweep interval."""
    heartbeat = last_heartbeat(session)
    if heartbeat is None:
        return None
    return (wall_time(session) - heartbeat.at).total_seconds()
