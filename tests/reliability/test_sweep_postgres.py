"""Many sweepers on PostgreSQL, as separate processes: three `timers sweep` and two schedulers
(`timers run`) over 800 overdue cases never deadlock, never exit with an error, record exactly the
expected penalties and clear the backlog about as fast as one sweeper alone; of two schedulers only
the lease holder sweeps, and when it is killed the other takes over within about one interval."""
import re
import time

import pytest
from sqlalchemy import func, select

from engine import lease, sweep
from engine.clock import wall_time
from engine.models import Event, Timer
from handlers.cases.models import Case
from handlers.cases.penalties import Penalty
from tests.conftest import _postgres_url, make_app
from tests.helpers import City, at
from tests.reliability import backlog
from tests.reliability.processes import Command, environment

pytestmark = pytest.mark.reliability

BACKLOG = 800                   # 16 batches of 50 for five sweepers: contention enough (2,000 took minutes)
LIMIT = 240                     # seconds any phase may take, however slow the machine
FAILURES = re.compile(r"Traceback|DeadlockDetected|deadlock detected|Error", re.I)


@pytest.fixture
def pg_city(request):
    url = _postgres_url(request)
    city = City(make_app(url))
    city.setup()
    city.url = url
    yield city
    city.db.dispose()


def bounded_wait(condition, seconds, every=0.25):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def due_count(city, now):
    return city.work(lambda s: s.scalar(select(func.count()).select_from(Timer).where(Timer.due_at <= now)))


def test_three_sweeps_and_two_schedulers_over_800_overdue_cases(pg_city, tmp_path):
    city = pg_city
    # Two backlogs of the same shape (a warning and the overdue timer due, a penalty each): the first
    # for one sweeper alone, the second for five at once.
    first = backlog.file_case(city, "2026-03-02 16:05", "2026-03-02 16:10")         # due Tue 16:10
    firsts = [first, *backlog.clone(city, first, BACKLOG - 1, first_serial=50000)]
    second = backlog.file_case(city, "2026-03-03 15:55", "2026-03-03 16:00")        # due Wed 16:00
    seconds_ = [second, *backlog.clone(city, second, BACKLOG - 1, first_serial=50000)]
    env = environment(city.url, CITYGRID_SWEEP_SECONDS=1, CITYGRID_NOTIFY_OUTBOUND="")

    city.set_clock("2026-03-03 16:15")                # the first backlog is due (the second's warning not yet)
    assert due_count(city, at("2026-03-03 16:15")) == 2 * BACKLOG
    alone = Command(["timers", "sweep"], env, tmp_path / "alone.log")
    assert alone.wait(LIMIT) == 0, alone.output()
    one_sweeper = time.monotonic() - alone.started
    assert alone.output().strip().splitlines()[-1] == f"{2 * BACKLOG} timers fired"

    city.set_clock("2026-03-04 16:05")                # Wed: the second backlog is due (not the first's next day)
    now = at("2026-03-04 16:05")
    assert due_count(city, now) == 2 * BACKLOG
    started = time.monotonic()
    schedulers = [Command(["timers", "run"], env, tmp_path / f"scheduler{n}.log") for n in range(2)]
    sweeps = [Command(["timers", "sweep"], env, tmp_path / f"sweep{n}.log") for n in range(3)]
    try:
        cleared = bounded_wait(lambda: due_count(city, now) == 0, LIMIT)
        five_sweepers = time.monotonic() - started
        codes = [command.wait(LIMIT) for command in sweeps]
    finally:
        for command in [*sweeps, *schedulers]:
            command.stop()
    outputs = {command.log_path.name: command.output() for command in [*sweeps, *schedulers]}
    fired_by_sweeps = [int(out.strip().splitlines()[-1].split()[0]) for out in map(Command.output, sweeps)]
    print(f"\nPostgreSQL, {BACKLOG} overdue cases: one `timers sweep` alone {one_sweeper:.1f} s; three sweeps and "
          f"two schedulers at once {five_sweepers:.1f} s (the sweeps fired {fired_by_sweeps}, the lease holder "
          f"the remaining {2 * BACKLOG - sum(fired_by_sweeps)})")

    assert cleared, f"backlog not cleared in {LIMIT} s"
    assert codes == [0, 0, 0], outputs
    assert not {name: FAILURES.findall(out) for name, out in outputs.items() if FAILURES.search(out)}
    assert five_sweepers < 2 * one_sweeper + 15          # about as fast as one alone (loosely: a 2-core machine)

    def recorded(session):
        case_ids = select(Case.id).where(Case.case_no.in_(seconds_))
        instance_ids = select(Case.instance_id).where(Case.case_no.in_(seconds_))
        penalties = session.execute(select(Penalty.case_id, Penalty.reason, func.count())
                                    .where(Penalty.case_id.in_(case_ids)).group_by(Penalty.case_id, Penalty.reason)).all()
        firings = session.execute(select(Event.instance_id, func.count()).where(
            Event.kind == "timers_fired", Event.instance_id.in_(instance_ids), Event.at >= now)
            .group_by(Event.instance_id)).all()
        all_overdue = session.scalar(select(func.count()).select_from(Penalty).where(Penalty.reason == "overdue"))
        return penalties, firings, all_overdue
    penalties, firings, all_overdue = city.work(recorded)
    assert len(penalties) == BACKLOG and {(reason, n) for _, reason, n in penalties} == {("overdue", 1)}
    assert len(firings) == BACKLOG and {n for _, n in firings} == {1}      # each instance fired by one sweeper
    assert all_overdue == 2 * BACKLOG                                      # and the first backlog's, once each
    assert len(firsts) == len(seconds_) == BACKLOG


def test_of_two_schedulers_one_sweeps_and_the_other_takes_over_when_it_is_killed(pg_city, tmp_path):
    city = pg_city
    interval, lease_seconds = 1, 3
    env = environment(city.url, CITYGRID_SWEEP_SECONDS=interval, CITYGRID_SWEEP_LEASE_SECONDS=lease_seconds)
    schedulers = {}
    try:
        for n in range(2):
            command = Command(["timers", "run"], env, tmp_path / f"scheduler{n}.log")
            schedulers[command.pid] = command

        def heartbeat():
            return city.work(lambda s: sweep.last_heartbeat(s))
        assert bounded_wait(lambda: heartbeat() is not None, 60), [c.output() for c in schedulers.values()]
        # For a few intervals every sweep is the lease holder's: one sweeper across both processes.
        seen = set()
        deadline = time.monotonic() + 4 * interval
        while time.monotonic() < deadline:
            seen.add(heartbeat().by)
            time.sleep(0.2)
        assert len(seen) == 1
        [leader] = seen
        leader_pid = int(leader.split(":")[1])
        assert leader_pid in schedulers

        schedulers[leader_pid].kill()                     # kill -9: no chance to give the lease up
        killed = time.monotonic()
        assert bounded_wait(lambda: heartbeat().by != leader, 30, every=0.1)
        took_over = time.monotonic() - killed
        successor = heartbeat().by
        print(f"\nthe lease holder was killed; the other scheduler swept {took_over:.1f} s later "
              f"(interval {interval} s, lease {lease_seconds} s)")
        assert int(successor.split(":")[1]) in schedulers and successor != leader
        assert took_over < lease_seconds + interval + 2

        survivor = schedulers[int(successor.split(":")[1])]
        survivor.stop()                                   # a graceful stop gives the lease up at once
        assert survivor.process.returncode == 0, survivor.output()
        assert "scheduler stopped" in survivor.output()
        with city.db.unit_of_work() as session:
            assert lease.current(session, "scheduler", wall_time(session)) is None
    finally:
        for command in schedulers.values():
            command.stop()
