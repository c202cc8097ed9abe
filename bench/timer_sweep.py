"""Benchmark: one timer sweep over N waiting timers (default 100,000) of which 1% are due.

    .venv/bin/python bench/timer_sweep.py [--timers 100000] [--due 0.01] [--db sqlite|postgresql]

Each waiting instance is a task with a non-interrupting deadline timer that calls a service when it
fires (the shape of a case's escalation). One instance is run through the engine; its stored state
is then copied with different due times (bulk INSERT), so setting up 100,000 stays quick. Prints
the set-up time, then the sweep's time, timers fired, and the bare query time of the due index.
"""
import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import scratch  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from tqdm import tqdm  # noqa: E402

from engine import deployments, instances, sweep, timers  # noqa: E402
from engine.clock import SimulatedClock  # noqa: E402
from engine.db import Base, Database  # noqa: E402
from engine.models import Instance, Timer  # noqa: E402
from engine.runtime import Runtime  # noqa: E402

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def setup(db, runtime, count, due_share):
    fired_calls = []
    runtime.services["penalise"] = lambda call, points: fired_calls.append(points) or {"points": points}
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
                due = NOW - timedelta(minutes=1) if i % due_every == 0 else NOW + timedelta(days=1 + i % 30)
                iso = due.isoformat()
                instance_id = first_id + i - start
                rows.append(dict(id=instance_id, deployment_id=deployment_id, state=state.replace(template_due, iso),
                                 version=1, completed=False, timers_digest="bench", event_seq=0,
                                 event_hash="0" * 64, created_at=NOW, updated_at=NOW))
                timer_rows.append(dict(instance_id=instance_id, task_id=timer_row.task_id, spec_name="late",
                                       due_at=due, provisional=False))
            session.execute(insert(Instance), rows)
            session.execute(insert(Timer), timer_rows)
    return fired_calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.01)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch.database_url(args.db, tmp, "sweep") as url:
        db = Database(url)
        Base.metadata.create_all(db.engine)
        runtime = Runtime(clock=SimulatedClock(NOW))
        t0 = time.perf_counter()
        fired_calls = setup(db, runtime, args.timers, args.due)
        set_up = time.perf_counter() - t0
        with db.unit_of_work() as session:
            waiting = session.scalar(select(func.count()).select_from(Timer))
            q0 = time.perf_counter()
            due = len(timers.due_instances(session, NOW))
            query = time.perf_counter() - q0
        runtime.workflows.clear()              # a fresh process: every due instance is read from the database
        t0 = time.perf_counter()
        result = sweep.sweep(db, runtime)
        elapsed = time.perf_counter() - t0
        with db.unit_of_work() as session:
            left = session.scalar(select(func.count()).select_from(Timer).where(Timer.due_at <= NOW))
        db.dispose()
    print(f"{args.db}: {waiting} waiting timers, {due} due (set up in {set_up:.1f} s)")
    print(f"due-index query           : {query * 1000:.1f} ms")
    print(f"sweep                     : {elapsed:.3f} s for {result.fired} timers fired on {result.instances} instances "
          f"({result.fired / elapsed:.0f} timers/s), {result.conflicts} conflicts, {len(fired_calls)} service calls, "
          f"{left} still due afterwards (target: < 1 s)")


if __name__ == "__main__":
    main()
