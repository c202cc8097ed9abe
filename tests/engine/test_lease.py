"""engine.lease and the scheduler's use of it, on SQLite and PostgreSQL: one holder at a time, renewed
while it works, taken over once it has lapsed, given up on a graceful stop; the instants are given
(real time in production: a process dies in real time, the simulated clock stands still)."""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from engine import lease, scheduler
from engine.db import Base, Database

T = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
S = timedelta(seconds=1)


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def acquire(db, holder, at, seconds=7):
    with db.unit_of_work() as session:
        return lease.acquire(session, "scheduler", holder, at, seconds)


def current(db, at):
    with db.unit_of_work() as session:
        return lease.current(session, "scheduler", at)


def test_one_holder_until_the_lease_lapses_then_the_next_who_asks(db):
    assert current(db, T) is None
    assert acquire(db, "a", T)
    assert not acquire(db, "b", T + S)                     # a holds it
    assert acquire(db, "a", T + 5 * S)                     # a renews: now until T + 12 s
    assert not acquire(db, "b", T + 11 * S)
    assert current(db, T + 11 * S) == ("a", T, T + 12 * S)  # acquired at T, renewed since
    assert acquire(db, "b", T + 12 * S)                    # a stopped renewing: lapsed, b takes over
    assert not acquire(db, "a", T + 13 * S)                # a, back from a pause, is no longer the holder
    assert current(db, T + 13 * S) == ("b", T + 12 * S, T + 19 * S)


def test_a_lease_given_up_is_taken_at_once(db):
    assert acquire(db, "a", T)
    with db.unit_of_work() as session:
        assert not lease.release(session, "scheduler", "b")   # only the holder can give it up
        assert lease.release(session, "scheduler", "a")
    assert current(db, T + S) is None
    assert acquire(db, "b", T + S)


def test_many_asking_at_once_get_one_holder(db):
    """Eight processes' schedulers asking for a free lease at the same instant: exactly one gets it."""
    won, errors = [], []
    barrier = threading.Barrier(8)

    def ask(name):
        barrier.wait(10)
        try:
            if acquire(db, name, T):
                won.append(name)
        except Exception as exc:           # SQLite: the writers take turns, never an error
            errors.append(exc)
    threads = [threading.Thread(target=ask, args=(f"p{n}",)) for n in range(8)]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    assert errors == [] and len(won) == 1
    assert current(db, T + S)[0] == won[0]


def test_the_scheduler_runs_its_jobs_only_while_it_holds_the_lease(db):
    first = scheduler.Leadership(db, seconds=60, holder="first")
    second = scheduler.Leadership(db, seconds=60, holder="second")
    assert first.claim() and not second.claim()
    first.release()                                        # a graceful stop: the other takes over at once
    assert second.claim() and not first.claim()
