"""Benchmark: a timer sweep over N waiting timers (default 100,000), backlogs of 1% due: the sweep as
it was before issue 11, before issue 13's batch writes and before the engine's speedups, against the
sweep as it is, in one run, on SQLite and on PostgreSQL.

    .venv/bin/python bench/timer_sweep.py [--timers 100000] [--due 0.01] [--db sqlite|postgresql|both]
                                          [--processes N] [--rounds 3]

Each waiting instance is a task with a non-interrupting deadline timer that calls a service when it
fires (the shape of a case's escalation; the service records a `penalty` event, as a case's does).
One instance is run through the engine; its stored state is then copied with different due times
(bulk INSERT), so setting up 100,000 stays quick. Equal backlogs (`--due` of the timers each) are
set up, due one minute apart: the sweep before issue 11 fires the first, the one before issue 13's
batch writes (one save per instance) the second. Then, `--rounds` times, the sweep as it was before
the engine's speedups fires one (stock SpiffWorkflow: engine.spiff_speedups uninstalled; claims of
100 instances on both databases; its batches' workflows left to the garbage collector) and the
current one the next (on PostgreSQL both with `--processes`, default 2); these two are summed up by
min / median / max. The two older sweeps run on stock SpiffWorkflow too. Each sweep runs in a fresh
process's state (nothing cached). Beside each sweep a writer (another process's, on
SQLite; a request saving a due instance, on PostgreSQL) writes every 20 ms: how long it waited
behind the sweep is the figure the sweep's short batches are for. The service's calls are counted
from the `penalty` events in the database (a helper process's calls happen in that process).
"""
import argparse
import gc
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import scratch  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402
from tqdm import tqdm  # noqa: E402

from engine import deployments, instances, spiff_speedups, sweep, timers  # noqa: E402
from engine.clock import SimulatedClock  # noqa: E402
from engine.db import Base, Database  # noqa: E402
from engine.models import Event, Instance, Timer  # noqa: E402
from engine.runtime import Runtime  # noqa: E402

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def backlogs(rounds):
    """The backlogs' due instants, a minute apart: the two oldest sweeps', then a pair per round."""
    count = 2 + 2 * rounds
    return [NOW - timedelta(minutes=k) for k in range(count, 0, -1)]


def penalise(call, points):
    """The bench's service: records a penalty on the instance's chain, as a case's does."""
    call.context.record("penalty", {"points": points})
    return {"points": points}


def setup(db, runtime, count, due_share, instants):
    """`count` waiting timers; `due_share` of them due at each of `instants`."""
    runtime.services["penalise"] = penalise
    with db.unit_of_work() as session:
        runtime.clock.set(session, NOW)
        deployment = deployments.deploy(session, runtime, files={
            "waiting_timer.bpmn": (ROOT / "bench" / "data" / "waiting_timer.bpmn").read_bytes()},
            process_id="waiting_timer", actor="bench")
        template_due = "2031-01-01T00:00:00+00:00"
        loaded = instances.start(session, runtime, deployment=deployment, data={"due": template_due}, actor="bench")
        instances.save(session, runtime, loaded)
        template = session.get(Instance, loaded.id)
        state, deployment_id = template.state, template.deployment_id
        timer_row = session.scalars(select(Timer).where(Timer.instance_id == template.id)).one()
    due_every = round(1 / due_share)
    batch = 5000
    for start in tqdm(range(0, count - 1, batch), desc="waiting timers", unit_scale=batch, leave=False):
        rows, timer_rows = [], []
        with db.unit_of_work() as session:
            first_id = session.scalar(select(func.max(Instance.id))) + 1
            for i in range(start, min(start + batch, count - 1)):
                slot, rest = divmod(i % due_every, max(1, due_every // len(instants)))
                if rest == 0 and slot < len(instants):
                    due = instants[slot]
                else:
                    due = NOW + timedelta(days=1 + i % 30)
                instance_id = first_id + i - start
                rows.append(dict(id=instance_id, deployment_id=deployment_id,
                                 state=state.replace(template_due, due.isoformat()), version=1, completed=False,
                                 timers_digest="bench", event_seq=0, event_hash="0" * 64, created_at=NOW,
                                 updated_at=NOW))
                timer_rows.append(dict(instance_id=instance_id, task_id=timer_row.task_id, spec_name="late",
                                       due_at=due, provisional=False))
            session.execute(insert(Instance), rows)
            session.execute(insert(Timer), timer_rows)


# --- the sweep as it was before issue 11 (commit 231bfb5), kept here to be compared with ---------------

def previous_sweep(db, runtime, *, batch=200):
    """Timer rows claimed (SKIP LOCKED on PostgreSQL), a batch of 200 instances per transaction,
    one savepoint per batch, every instance saved."""
    result = sweep.SweepResult()
    with db.unit_of_work() as session:
        runtime.clock.sync(session)
    now = runtime.clock.now()
    done = set()
    while True:
        started = time.monotonic()
        with db.unit_of_work() as session:
            query = (select(Timer.instance_id).where(Timer.due_at <= now).order_by(Timer.due_at, Timer.instance_id)
                     .limit(batch + len(done)))
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(dict.fromkeys(i for i in session.scalars(query) if i not in done))
            if not ids:
                return result
            done.update(ids)
            session.scalars(select(Instance).where(Instance.id.in_(ids))).all()
            with session.begin_nested():
                for instance_id in ids:
                    loaded = instances.load(session, runtime, instance_id, actor="timer")
                    result.fired += len(instances.fire_due_timers(loaded))
                    instances.save(session, runtime, loaded)
            result.instances += len(ids)
        result.batches += 1
        result.longest_batch = max(result.longest_batch, time.monotonic() - started)


# --- the sweep as it was before issue 13's batch writes (commit 21d9b19), kept to be compared with ---------

def issue11_sweep(db, runtime, *, batch=sweep.BATCH, budget=sweep.BUDGET, pause=sweep.PAUSE):
    """Whole instances claimed a batch at a time (SKIP LOCKED on PostgreSQL), batches of 100 or
    0.25 s, one savepoint per batch, every instance loaded, fired and saved on its own; on SQLite
    0.05 s aside between batches (after every third while nobody wrote in the pauses)."""
    result = sweep.SweepResult()
    with db.reading() as session:
        runtime.clock.sync(session)
        now = runtime.clock.now()
        queue = timers.due_instances(session, now)
    sqlite = db.engine.dialect.name == "sqlite"
    version = db.engine.raw_connection() if sqlite else None
    skip = 0
    try:
        while queue:
            chunk, queue = queue[:batch], queue[batch:]
            started = time.monotonic()
            with db.unit_of_work() as session:
                claimed = sweep.claim(session, chunk, now)
                mine = [i for i in chunk if i in claimed]
                left = []
                with session.begin_nested():
                    for n, instance_id in enumerate(mine):
                        if n and time.monotonic() - started >= budget:
                            left = mine[n:]
                            break
                        loaded = instances.load(session, runtime, instance_id, actor="timer")
                        fired = instances.fire_due_timers(loaded)
                        if fired:
                            instances.save(session, runtime, loaded)
                            result.instances += 1
                            result.fired += len(fired)
                queue = left + queue
            result.batches += 1
            result.longest_batch = max(result.longest_batch, time.monotonic() - started)
            if queue and sqlite:
                if skip:
                    skip -= 1
                    continue
                before = version.execute("PRAGMA data_version").fetchone()[0]
                time.sleep(pause)
                if version.execute("PRAGMA data_version").fetchone()[0] == before:
                    skip = sweep.QUIET_EVERY - 1
    finally:
        if version is not None:
            version.close()
    return result


# --- a writer beside the sweep --------------------------------------------------------------------

class Writer(threading.Thread):
    """Writes every 20 ms until stopped and records how long each write took."""

    def __init__(self, db, url, due_ids):
        super().__init__(daemon=True)
        self.db, self.url, self.due_ids = db, url, due_ids
        self.stop, self.waits = threading.Event(), []
        self.helpers_rss = 0.0       # the peak resident memory of the sweep's helper processes, MiB

    def run(self):
        sqlite = self.url.startswith("sqlite")
        if sqlite:     # another process's writer: a connection of its own, SQLite's busy handler
            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None, timeout=60)
        else:
            conn = self.db.engine.connect()
        rng = random.Random(1)
        try:
            while not self.stop.wait(0.02):
                self.helpers_rss = max(self.helpers_rss, helpers_peak_rss())
                started = time.monotonic()
                if sqlite:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute("UPDATE sim_clock SET now = now")
                    conn.execute("COMMIT")
                else:            # a request saving a due instance (not changing its version)
                    conn.execute(update(Instance).where(Instance.id == rng.choice(self.due_ids))
                                 .values(updated_at=Instance.updated_at))
                    conn.commit()
                self.waits.append(time.monotonic() - started)
        finally:
            conn.close()


def timed(db, url, runtime, due_at, run):
    """Run one sweep at `due_at`'s backlog with a writer beside it; (seconds, result, writer waits)."""
    with db.unit_of_work() as session:
        due_ids = list(session.scalars(select(Timer.instance_id).where(Timer.due_at == due_at)))
    runtime.workflows.clear()                  # a fresh process: every due instance is read from the database
    gc.collect()                               # (and no garbage of the sweep before it)
    writer = Writer(db, url, due_ids)
    writer.start()
    reset_peak_rss()
    t0 = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - t0
    result.peak_rss = peak_rss()
    writer.stop.set()
    writer.join(30)
    result.helpers_rss = writer.helpers_rss
    return elapsed, result, writer.waits


def stock(sweeper, *args, **kwargs):
    """`sweeper` run as the sweep ran before the speedups: on stock SpiffWorkflow (engine.spiff_speedups
    uninstalled meanwhile), its batches' workflows left to the garbage collector (no `instances.discard`)."""
    spiff_speedups.uninstall()
    discard, instances.discard = instances.discard, lambda _loaded: None
    try:
        return sweeper(*args, **kwargs)
    finally:
        instances.discard = discard
        spiff_speedups.install()


def reset_peak_rss():
    """Start this process's peak resident memory (VmHWM) afresh from what it holds now (Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss():
    """This process's peak resident memory in MiB since `reset_peak_rss`."""
    status = Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024


def penalties(db):
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(Event).where(Event.kind == "penalty"))


def helpers_peak_rss():
    """The largest peak resident memory (VmHWM) among this process's child processes now, MiB."""
    found = 0.0
    for children in Path("/proc/self/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = max(found, next((int(line.split()[1]) / 1024 for line in status.splitlines()
                                     if line.startswith("VmHWM:")), 0.0))
    return found


def bench(kind, count, due_share, processes, rounds):
    instants = backlogs(rounds)
    with tempfile.TemporaryDirectory() as tmp, scratch.database_url(kind, tmp, "sweep") as url:
        db = Database(url)
        Base.metadata.create_all(db.engine)
        runtime = Runtime(clock=SimulatedClock(NOW))
        t0 = time.perf_counter()
        setup(db, runtime, count, due_share, instants)
        set_up = time.perf_counter() - t0
        with db.unit_of_work() as session:
            waiting = session.scalar(select(func.count()).select_from(Timer))
            q0 = time.perf_counter()
            due = len(timers.due_instances(session, NOW))
            query = time.perf_counter() - q0
        rows = []
        processes = processes if kind == "postgresql" else 1
        current = f"current ({processes} processes)" if processes > 1 else "current"
        previous = "before the speedups" + (f" ({processes} processes)" if processes > 1 else "")
        ways = [("before issue 11", lambda: stock(previous_sweep, db, runtime)),
                ("before batch writes", lambda: stock(issue11_sweep, db, runtime))]
        for _ in range(rounds):      # the last two alternated, so that a drift of the machine moves both alike
            ways += [(previous, lambda: stock(sweep.sweep, db, runtime, batch=sweep.BATCH, processes=processes)),
                     (current, lambda: sweep.sweep(db, runtime, processes=processes))]
        for (name, run), at in zip(ways, instants):
            with db.unit_of_work() as session:          # only this backlog is due
                runtime.clock.set(session, at)
            calls = penalties(db)
            elapsed, result, waits = timed(db, url, runtime, at, run)
            rows.append((name, elapsed, result, penalties(db) - calls, waits))
        with db.unit_of_work() as session:
            left = session.scalar(select(func.count()).select_from(Timer).where(Timer.due_at <= instants[-1]))
        db.dispose()
    print(f"{kind}: {waiting} waiting timers, {due} due ({len(instants)} backlogs of {due // len(instants)}; "
          f"set up in {set_up:.1f} s); due-index query {query * 1000:.1f} ms")
    for name, elapsed, result, calls, waits in rows:
        q = statistics.quantiles(waits, n=100, method="inclusive") if len(waits) > 1 else [max(waits, default=0)] * 99
        print(f"  {name:19} sweep: {result.fired} fired on {result.instances} instances in {elapsed:.2f} s "
              f"({result.fired / elapsed:.0f}/s), {result.batches} batches, longest {result.longest_batch * 1000:.0f} ms; "
              f"{calls} service calls; a writer beside it waited p50 {q[49] * 1000:.0f} ms, "
              f"p99 {q[98] * 1000:.0f} ms, longest {max(waits, default=0) * 1000:.0f} ms ({len(waits)} writes); "
              f"peak RSS {result.peak_rss:.0f} MiB" + (f" (its helper {result.helpers_rss:.0f} MiB)"
                                                        if result.helpers_rss else ""))
    for name in (previous, current):
        times = sorted(elapsed for way, elapsed, *_ in rows if way == name)
        print(f"  {name}: min {times[0]:.2f} s, median {statistics.median(times):.2f} s, max {times[-1]:.2f} s "
              f"over {len(times)} backlogs   (target < 1 s)")
    print(f"  still due afterwards: {left}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.01)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--processes", type=int, default=2, help="the current sweep's processes on PostgreSQL")
    parser.add_argument("--rounds", type=int, default=3, help="backlogs of the last two sweeps, alternated")
    args = parser.parse_args()
    for kind in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        bench(kind, args.timers, args.due, args.processes, args.rounds)


if __name__ == "__main__":
    main()
