"""The sweep: fire every timer due at the clock's now, a batch of instances per transaction.

Exactly-once: a firing is part of the instance's state, saved with a version check in the same
transaction as everything it causes; a sweep that races another, or dies half-way, leaves each
instance either fired-and-committed or untouched, and the next sweep takes what is left.
"""
from dataclasses import dataclass

from sqlalchemy import select

from . import instances
from .models import Instance
from .timers import due_instances


@dataclass
class SweepResult:
    instances: int = 0
    fired: int = 0
    conflicts: int = 0


def fire(session, runtime, instance_id, actor="timer"):
    """Fire the due timers of one instance in the caller's unit of work; returns how many fired."""
    loaded = instances.load(session, runtime, instance_id, actor=actor)
    fired = instances.fire_due_timers(loaded)
    instances.save(session, runtime, loaded)
    return len(fired)


def sweep(db, runtime, *, actor="timer", batch=200, on_progress=None) -> SweepResult:
    """Fire every due timer at the clock's now, a batch of instances per transaction.

    A batch is first run in one savepoint; if another process changed one of its instances
    meanwhile (Conflict), the batch is run again one instance per savepoint, skipping the losers.
    """
    result = SweepResult()
    with db.unit_of_work() as session:
        runtime.clock.sync(session)
    now = runtime.clock.now()
    done = set()   # an instance is visited once per sweep, whatever happens to it
    while True:
        with db.unit_of_work() as session:
            ids = [i for i in due_instances(session, now, limit=batch + len(done), skip_locked=True)
                   if i not in done]
            if not ids:
                return result
            done.update(ids)
            session.scalars(select(Instance).where(Instance.id.in_(ids))).all()   # one read for the batch
            try:
                with session.begin_nested():
                    fired = []
                    for instance_id in ids:
                        fired.append(fire(session, runtime, instance_id, actor))
                        if on_progress:
                            on_progress(1)
            except instances.Conflict:
                fired = []
                for instance_id in ids:
                    try:
                        with session.begin_nested():
                            fired.append(fire(session, runtime, instance_id, actor))
                    except instances.Conflict:
                        result.conflicts += 1
            result.instances += len(fired)
            result.fired += sum(fired)
