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
SQLite has one writer: this process's writers take turns with the sweep's batches in the order they
asked (engine.db.WriterQueue), and for other processes' writers, which SQLite's busy handler retries
every 100 ms at most, the sweep steps aside for `pause` seconds between batches — after every batch
while someone else writes in the pause, after every third when nobody did (`Courtesy`). A request
waits behind the sweep for about one batch, never for the whole backlog.

The heartbeat (`last_heartbeat`, `heartbeat_age`) is the sweep's sign of life on real time, for
the readiness check and the metrics: every sweep writes it when it ends, and a long one also while
it works.
"""
import os
import socket
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import undefer

from . import instances
from .clock import wall_time
from .models import Instance, SweepHeartbeat, Timer
from .timers import due_instances

BATCH = 100         # instances claimed at a time
BUDGET = 0.25       # seconds a batch may run before it commits
PAUSE = 0.05        # SQLite: seconds the sweep steps aside between batches for waiting writers
QUIET_EVERY = 3     # SQLite: while nobody writes in the pauses, step aside after every third batch only
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
    at: datetime            # the last sign of a working sweep (real time, UTC)
    by: str                 # which sweeper
    finished_at: datetime | None    # the end of the last complete sweep
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
    the instances claimed by id (keep them: the session holds loaded rows only while referenced)."""
    still_due = exists().where(Timer.instance_id == Instance.id, Timer.due_at <= now)
    query = (select(Instance).options(undefer(Instance.state)).where(Instance.id.in_(ids), still_due).order_by(Instance.id)
             .with_for_update(skip_locked=True, of=Instance)
             .execution_options(populate_existing=True))     # the row as locked, never a stale copy
    return {instance.id: instance for instance in session.scalars(query)}


class Courtesy:
    """SQLite: step aside between batches for other processes' writers. Whether anyone wrote during
    a pause is told by `PRAGMA data_version` on a connection of its own (it changes when any other
    connection commits): a writer that waited got in then; when nobody did, nobody was waiting, and
    the sweep pauses again only after every QUIET_EVERY-th batch, so that a sweep alone loses little
    time while a writer that arrives later still waits for a few batches at most."""

    def __init__(self, db, pause):
        self.pause, self.skip = pause, 0
        self.conn = db.engine.raw_connection() if pause and db.engine.dialect.name == "sqlite" else None

    def _version(self):
        cursor = self.conn.cursor()
        try:
            return cursor.execute("PRAGMA data_version").fetchone()[0]
        finally:
            cursor.close()

    def between_batches(self):
        if self.conn is None:
            if self.pause:
                time.sleep(self.pause)
            return
        if self.skip:
            self.skip -= 1
            return
        before = self._version()
        time.sleep(self.pause)
        if self._version() == before:
            self.skip = QUIET_EVERY - 1

    def close(self):
        if self.conn is not None:
            self.conn.close()


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
    with db.reading() as session:                          # takes no write lock
        runtime.clock.sync(session)
        now = runtime.clock.now()
        queue = deque(due_instances(session, now))
    courtesy = Courtesy(db, pause)
    try:
        _batches(db, runtime, queue, now, result, actor=actor, batch=batch, budget=budget, on_progress=on_progress,
                 on_batch=on_batch, by=by, courtesy=courtesy)
    finally:
        courtesy.close()
    beat(db, by, result=result, seconds=time.monotonic() - began)
    return result


def _batches(db, runtime, queue, now, result, *, actor, batch, budget, on_progress, on_batch, by, courtesy):
    last_beat = time.monotonic()
    while queue:
        chunk = [queue.popleft() for _ in range(min(batch, len(queue)))]
        started = time.monotonic()
        with db.unit_of_work() as session:
            claimed = claim(session, chunk, now)
            result.skipped += len(chunk) - len(claimed)
            mine = [i for i in chunk if i in claimed]       # earliest due first
            # One savepoint for the batch; should an instance have changed meanwhile after all (a
            # Conflict), the batch is run again one instance per savepoint, skipping the losers.
            try:
                with session.begin_nested():
                    fired, left = _fire_each(session, runtime, mine, started, budget, result, actor, on_progress)
            except instances.Conflict:
                fired, left = _fire_each(session, runtime, mine, time.monotonic(), budget, result, actor,
                                         on_progress, one_by_one=True)
            queue.extendleft(reversed(left))                 # released at the commit, taken first next batch
        result.instances += sum(1 for n in fired if n)
        result.fired += sum(fired)
        result.batches += 1
        result.longest_batch = max(result.longest_batch, time.monotonic() - started)
        if on_batch is not None and on_batch(result) is False:
            break
        if queue and time.monotonic() - last_beat >= BEAT:
            beat(db, by)
            last_beat = time.monotonic()
        if queue:
            courtesy.between_batches()


def _fire_each(session, runtime, ids, started, budget, result, actor, on_progress, one_by_one=False):
    """Fire `ids` in turn until the budget is spent (at least one); returns (timers fired per
    instance, the ids left for the next batch)."""
    fired = []
    for n, instance_id in enumerate(ids):
        if n and time.monotonic() - started >= budget:
            return fired, ids[n:]
        if one_by_one:
            try:
                with session.begin_nested():
                    fired.append(fire(session, runtime, instance_id, actor))
            except instances.Conflict:
                result.conflicts += 1
        else:
            fired.append(fire(session, runtime, instance_id, actor))
        if on_progress:
            on_progress(1)
    return fired, []


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
