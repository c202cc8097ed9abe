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

A batch is fired in memory and then written at once (`instances.save_many`): one version-checked
UPDATE of its instances (executemany, checked by its rowcount), one INSERT of their events, one
DELETE and one INSERT of their timer rows, then each instance's listeners. Should an instance have
changed meanwhile after all, the batch's savepoint undoes it and it runs again one instance per
savepoint (`instances.save` each), so that exactly the loser is left for the next sweep. A batch's
workflows die with it: they are not kept in the process's workflow cache, and once it has committed
they are taken apart (`instances.discard`) so that reference counting frees them; the garbage
collector waits while it runs (`_garbage_of_its_own`).

Batches are short in time, not only in count: a batch stops firing once `budget` seconds, less the
time the last batch's writes took, are spent, and commits. SQLite has one writer: this process's
writers take turns with the sweep's batches in the order they asked (engine.db.WriterQueue), and for
other processes' writers, which SQLite's busy handler retries every 100 ms at most, the sweep steps
aside for up to `pause` seconds between batches — after every batch while someone else writes in
the pause (until they are through), after every third when nobody did (`Courtesy`). A request
waits behind the sweep for about one batch, never for the whole backlog.

Both cores on PostgreSQL: with `processes` > 1, a backlog of more than one batch is dealt out in
batches to helper processes forked for the sweep (engine.fanout), each claiming its own with the
same SKIP LOCKED claim; the sweep's process then goes on with the helpers' batches from their ends,
so whoever is done first takes over what another has not reached. A helper that fails or hangs is
ended; what it had not committed is still due, for the next sweep. SQLite has one writer: one
process sweeps.

The heartbeat (`last_heartbeat`, `heartbeat_age`) is the sweep's sign of life on real time, for
the readiness check and the metrics: every sweep writes it when it ends, and a long one also while
it works.
"""
import gc
import itertools
import logging
import os
import socket
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import undefer

from . import fanout, instances
from .clock import wall_time
from .models import Instance, SweepHeartbeat, Timer
from .timers import due_instances

BATCH = 100         # PostgreSQL: instances claimed at a time (their rows stay locked until the batch commits)
SQLITE_BATCH = 300  # SQLite: about what a batch's budget fires (its write lock is the whole database anyway)
BUDGET = 0.25       # seconds a batch may run before it commits
PAUSE = 0.05        # SQLite: seconds the sweep steps aside between batches for waiting writers
QUIET_EVERY = 3     # SQLite: while nobody writes in the pauses, step aside after every third batch only
POLL = 0.005        # SQLite: seconds between looks at whether a writer got in during a pause
BEAT = 2.0          # seconds between heartbeats while a long sweep works
STALL = 10.0        # seconds a helper process may go without a sign of life before it is ended

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    instances: int = 0      # instances whose timers fired
    fired: int = 0          # timers fired
    conflicts: int = 0      # instances changed meanwhile by another unit of work (left for the next sweep)
    skipped: int = 0        # due when the sweep began, then held or already fired by someone else
    batches: int = 0
    longest_batch: float = 0.0   # seconds: the longest a batch kept its transaction open
    claimed: int = 0        # instances claimed and done with (fired, nothing due after all, or a conflict)
    processes: int = 1      # this one and its helpers


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
    connection commits), looked at every POLL seconds: once writers got in and no further one
    followed within a look, the pause ends early (the writers that waited are through). While
    someone writes in the pauses, a pause may last twice as long: a writer that waited a whole
    batch retries only every 100 ms (SQLite's busy handler), and one that misses the pause waits
    another batch. When nobody wrote in a whole pause, nobody was waiting, and the sweep pauses
    again only after every QUIET_EVERY-th batch, so that a sweep alone loses little time while a
    writer that arrives later still waits for a few batches at most."""

    def __init__(self, db, pause):
        self.pause, self.skip, self.busy = pause, 0, False
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
        before = seen = self._version()
        deadline = time.monotonic() + self.pause * (2 if self.busy else 1)
        while (remaining := deadline - time.monotonic()) > 0:
            time.sleep(min(POLL, remaining))
            version = self._version()
            if version != seen:
                seen = version                 # someone got in: room for the next one too
            elif seen != before:
                break                          # writers got in and none followed
        self.busy = seen != before
        if not self.busy:
            self.skip = QUIET_EVERY - 1

    def close(self):
        if self.conn is not None:
            self.conn.close()


def sweep(db, runtime, *, actor="timer", batch=None, budget=BUDGET, pause=None, on_progress=None,
          on_batch=None, by=None, processes=1) -> SweepResult:
    """Fire every timer due at the clock's now, earliest first, a short batch per transaction.

    `on_progress(1)` is called after each instance (of this process); `on_batch(result)` after each
    committed batch (a scheduler renews its lease there): when it returns False the sweep stops,
    leaving the rest to whoever holds the lease now. `processes` > 1 on PostgreSQL: a backlog of
    more than one batch is shared with helper processes (see `_share`)."""
    result = SweepResult()
    began = time.monotonic()
    by = by or sweeper_name()
    sqlite = db.engine.dialect.name == "sqlite"
    if batch is None:
        batch = SQLITE_BATCH if sqlite else BATCH
    if pause is None:
        pause = PAUSE if sqlite else 0
    with db.reading() as session:                          # takes no write lock
        runtime.clock.sync(session)
        now = runtime.clock.now()
        queue = deque(due_instances(session, now))
    due = len(queue)
    helpers = []
    if processes > 1 and not sqlite and due > batch:
        queue, shares = _share(queue, batch, processes)
        helpers = [fanout.Helper(_help, db, runtime, share, now, dict(actor=actor, batch=batch, budget=budget))
                   for share in shares]
    courtesy = Courtesy(db, pause)
    finished = False
    try:
        _batches(db, runtime, queue, now, result, actor=actor, batch=batch, budget=budget, on_progress=on_progress,
                 on_batch=on_batch, by=by, courtesy=courtesy)
        finished = not queue
    finally:
        courtesy.close()
        for helper in helpers:
            if not finished:                               # stopped early (the lease is someone else's) or failed
                helper.stop()
        for helper in helpers:
            _add(result, helper.wait(stall=max(STALL, 20 * budget)))
    if helpers:
        result.processes = 1 + len(helpers)
        if finished:
            # an instance a helper fired and this process then found fired (or the other way
            # round) is no instance someone else held: skipped are those due that nobody claimed
            result.skipped = max(0, due - result.claimed)
    beat(db, by, result=result, seconds=time.monotonic() - began)
    return result


def _share(queue, batch, processes):
    """Deal a due list out in batches, the first to this process, the next to the first helper, and
    so on; this process then goes on with the helpers' batches from their ends, so that whoever is
    done first takes over what another has not reached (the claims' SKIP LOCKED keeps them apart,
    and a batch another already fired is no longer due). Returns (this process's queue, a list of
    ids per helper)."""
    chunks = [list(queue)[i:i + batch] for i in range(0, len(queue), batch)]
    mine = [i for chunk in chunks[::processes] for i in chunk]
    shares = [[i for chunk in chunks[k::processes] for i in chunk] for k in range(1, processes)]
    theirs = [chunks[k::processes][::-1] for k in range(1, processes)]
    later = [i for n in range(max(map(len, theirs))) for chunk_list in theirs if n < len(chunk_list)
             for i in chunk_list[n]]
    return deque(mine + later), [share for share in shares if share]


def _help(alive, stopped, db, runtime, share, now, options):
    """A helper process's part of a sweep (engine.fanout): its share of the due list, in batches of
    its own on connections of its own; returns its figures."""
    # The parent's pooled connections are left alone, unclosed (psycopg closes a connection only in
    # the process that opened it); everything using this database here — the listeners' lookups
    # too — connects afresh.
    db.engine.dispose(close=False)
    runtime.after_fork()
    result = SweepResult()
    try:
        _batches(db, runtime, deque(share), now, result, on_progress=None, by=None, courtesy=Courtesy(db, 0),
                 on_batch=lambda _result: alive() or not stopped(), **options)
    finally:
        db.dispose()
    return asdict(result)


def _add(result, figures):
    """Count a helper's figures into the sweep's (nothing when it failed: what it had not committed
    is still due, for the next sweep)."""
    if figures is None:
        log.warning("a sweep helper failed or hung; what it had not done is left for the next sweep")
        return
    for name in ("instances", "fired", "conflicts", "skipped", "batches", "claimed"):
        setattr(result, name, getattr(result, name) + figures[name])
    result.longest_batch = max(result.longest_batch, figures["longest_batch"])


def _batches(db, runtime, queue, now, result, *, actor, batch, budget, on_progress, on_batch, by, courtesy):
    last_beat = time.monotonic()
    reserve = 0.0           # how long the last batch's writes and commit took: room kept for them in the budget
    while queue:
        chunk = [queue.popleft() for _ in range(min(batch, len(queue)))]
        started = time.monotonic()
        conflicts = result.conflicts
        with _garbage_of_its_own():
            fired, left, writing = _batch(db, runtime, chunk, now, result, started,
                                          budget - min(reserve, budget / 2), actor, on_progress)
        queue.extendleft(reversed(left))                     # released at the commit, taken first next batch
        if writing is not None:
            reserve = time.monotonic() - writing
        result.instances += sum(1 for n in fired if n)
        result.fired += sum(fired)
        result.claimed += len(fired) + result.conflicts - conflicts
        result.batches += 1
        result.longest_batch = max(result.longest_batch, time.monotonic() - started)
        if on_batch is not None and on_batch(result) is False:
            break
        if by and queue and time.monotonic() - last_beat >= BEAT:
            beat(db, by)
            last_beat = time.monotonic()
        if queue:
            courtesy.between_batches()


def _batch(db, runtime, chunk, now, result, started, budget, actor, on_progress):
    """One batch in a transaction of its own: claim, fire, write, commit. Returns (timers fired per
    instance, the ids left for the next batch, when the writes began or None)."""
    with db.unit_of_work() as session:
        claimed = claim(session, chunk, now)
        result.skipped += len(chunk) - len(claimed)
        mine = [i for i in chunk if i in claimed]       # earliest due first
        # The batch is fired in memory and written at once (instances.save_many) in one savepoint;
        # should an instance have changed meanwhile after all (a Conflict), the savepoint undoes
        # the batch and it is run again one instance per savepoint, skipping the losers.
        try:
            with instances.savepoint(session):
                fired, left, writing, loaded = _fire_batch(session, runtime, mine, started, budget, actor, on_progress)
        except instances.Conflict:                     # (what the batch loaded is the collector's)
            claimed = claim(session, mine, now)        # the rows as the savepoint left them (we hold them)
            mine = [i for i in mine if i in claimed]
            return (*_fire_each(session, runtime, mine, time.monotonic(), budget, result, actor, on_progress), None)
    for each in loaded:       # committed and kept in no cache: freed now, not left to the collector
        instances.discard(each)
    return fired, left, writing


@contextmanager
def _garbage_of_its_own():
    """A batch's objects (its rows, its workflows: full of reference cycles) live until it ends and
    die with it. Its workflows are taken apart once it has committed (`instances.discard`), so that
    reference counting frees them at once; with the collector off meanwhile, what is left (rows,
    whatever a failed batch leaves) stays in the youngest generation, and one collection of it
    afterwards frees it. Left on, the collector would promote the batch's objects while they are held
    and then traverse every object of the process to find them dead (a full collection every few
    batches: a third of a sweep's time, and a batch's budget blown). Every tenth time the next
    generation too, as the collector itself would (what other threads left there meanwhile)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.collect(1 if next(_BATCHES) % 10 == 9 else 0)
        gc.enable()


_BATCHES = itertools.count()


def _fire_batch(session, runtime, ids, started, budget, actor, on_progress):
    """Fire `ids` in turn in memory until the budget is spent (at least one), then save those that
    fired together; returns (timers fired per instance, the ids left for the next batch, when the
    writes began, every instance loaded)."""
    fired, batch, left, loaded_all = [], [], [], []
    for n, instance_id in enumerate(ids):
        if n and time.monotonic() - started >= budget:
            left = ids[n:]
            break
        loaded = instances.load(session, runtime, instance_id, actor=actor)
        loaded_all.append(loaded)
        fired.append(len(instances.fire_due_timers(loaded)))
        if fired[-1]:
            batch.append(loaded)
        if on_progress:
            on_progress(1)
    writing = time.monotonic()
    # Not kept in the process's workflow cache: in a sweeper process no request would take them,
    # and a thousand workflows kept alive cost the collector more than the reads they could save.
    instances.save_many(session, runtime, batch, cache=False)
    return fired, left, writing, loaded_all


def _fire_each(session, runtime, ids, started, budget, result, actor, on_progress):
    """Fire and save `ids` one at a time, each in a savepoint of its own, until the budget is spent
    (at least one); an instance that changed meanwhile (Conflict) is left for the next sweep.
    Returns (timers fired per instance, the ids left for the next batch)."""
    fired = []
    for n, instance_id in enumerate(ids):
        if n and time.monotonic() - started >= budget:
            return fired, ids[n:]
        try:
            with instances.savepoint(session):
                fired.append(fire(session, runtime, instance_id, actor))
        except instances.Conflict:
            result.conflicts += 1
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
