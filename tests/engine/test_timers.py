"""engine.timers on a bare engine (no city domain): the timer table derived from the instance state,
the sweep firing exactly at the due instant and exactly once, cycles catching up missed periods,
and the version check / workflow cache that keep two units of work apart.

tests/engine/data/timer_task.bpmn: a user task `work` with a non-interrupting timeDate boundary
`late` (at the data's `due`, running the service task `count` -> operator `tick`) and a cycle
boundary `daily` ("R/" + due + "/P1D").
"""
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine import deployments, events, instances, replay, sweep, timers
from engine.clock import SimulatedClock
from engine.db import Base, Database
from engine.models import Instance, Timer
from engine.runtime import Runtime

DIAGRAM = Path(__file__).resolve().parent / "data" / "timer_task.bpmn"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
DUE = T0 + timedelta(hours=2)
DAY = timedelta(days=1)


@dataclass
class Bare:
    db: Database
    runtime: Runtime
    calls: list = field(default_factory=list)
    deployment_id: int | None = None

    def set_clock(self, instant):
        with self.db.unit_of_work() as session:
            self.runtime.clock.set(session, instant)

    def start(self, due=DUE):
        with self.db.unit_of_work() as session:
            self.runtime.clock.sync(session)
            deployment = deployments.get(session, self.deployment_id)
            loaded = instances.start(session, self.runtime, deployment=deployment, data={"due": due.isoformat()},
                                     actor="test")
            instances.save(session, self.runtime, loaded)
            return loaded.id

    def timer_rows(self, instance_id):
        with self.db.unit_of_work() as session:
            rows = session.scalars(select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.spec_name))
            return [(t.spec_name, t.due_at) for t in rows]

    def sweep_at(self, instant):
        self.set_clock(instant)
        return sweep.sweep(self.db, self.runtime)

    def stream(self, instance_id):
        with self.db.unit_of_work() as session:
            return [(e.kind, e.data) for e in events.get_stream(session, events.instance_stream(instance_id))]


def make_bare(url):
    db = Database(url)
    Base.metadata.create_all(db.engine)
    bare = Bare(db=db, runtime=None)

    def tick(call, what):
        bare.calls.append((what, call.now, call.context.instance_id))
        return {"what": what}

    bare.runtime = Runtime(clock=SimulatedClock(), services={"tick": tick})
    with db.unit_of_work() as session:
        bare.runtime.clock.set(session, T0)
        bare.deployment_id = deployments.deploy(session, bare.runtime, files={DIAGRAM.name: DIAGRAM.read_bytes()},
                                                process_id="timer_task", actor="test").id
    return bare


@pytest.fixture
def bare(tmp_path):
    bare = make_bare(f"sqlite:///{tmp_path / 'engine.db'}")
    yield bare
    bare.db.dispose()


def test_waiting_timers_are_in_the_timer_table(bare):
    instance_id = bare.start()
    assert bare.timer_rows(instance_id) == [("daily", DUE), ("late", DUE)]
    with bare.db.unit_of_work() as session:
        rows = list(session.scalars(select(Timer).where(Timer.instance_id == instance_id)))
        loaded = instances.load(session, bare.runtime, instance_id, actor="test")
        waiting = {str(t.id) for t in loaded.workflow.event_manager.tasks.values()}
    assert {r.task_id for r in rows} <= waiting
    assert not any(r.provisional for r in rows)


def test_the_sweep_fires_at_the_due_instant_not_a_microsecond_before_and_only_once(bare):
    instance_id = bare.start()
    assert bare.sweep_at(DUE - timedelta(microseconds=1)).fired == 0
    assert bare.calls == []
    result = bare.sweep_at(DUE)
    assert (result.instances, result.fired, result.conflicts) == (1, 2, 0)          # late and the cycle's first
    assert bare.calls == [("late", DUE, instance_id)]                             # at the unit of work's instant
    assert bare.sweep_at(DUE).fired == 0                                          # a second sweep: nothing
    assert bare.calls == [("late", DUE, instance_id)]
    assert bare.timer_rows(instance_id) == [("daily", DUE + DAY)]                 # late is done, daily moved on
    kinds = [kind for kind, _ in bare.stream(instance_id)]
    assert kinds == ["started", "timers_fired"]


def test_a_cycle_fires_once_per_period_and_catches_up_each_missed_one(bare):
    instance_id = bare.start()
    bare.sweep_at(DUE)
    assert bare.sweep_at(DUE + DAY - timedelta(microseconds=1)).fired == 0
    assert bare.sweep_at(DUE + DAY).fired == 1
    assert bare.sweep_at(DUE + DAY + timedelta(hours=23)).fired == 0
    assert bare.sweep_at(DUE + 4 * DAY + timedelta(hours=1)).fired == 3          # three periods missed
    assert bare.sweep_at(DUE + 4 * DAY + timedelta(hours=2)).fired == 0
    assert bare.timer_rows(instance_id) == [("daily", DUE + 5 * DAY)]
    fired = [t for kind, data in bare.stream(instance_id) if kind == "timers_fired" for t in data["timers"]]
    daily = [t["occurrence"] for t in fired if t["timer"] == "daily"]
    assert daily == [(DUE + n * DAY).isoformat() for n in range(5)]               # each with its own occurrence
    assert [t["occurrence"] for t in fired if t["timer"] == "late"] == [DUE.isoformat()]
    assert len(bare.calls) == 1                                                   # `late` ran its service once
    with bare.db.unit_of_work() as session:
        assert replay.replay_instance(session, bare.runtime, instance_id).ok


def test_each_instance_fires_on_its_own_due_time(bare):
    early, later = bare.start(DUE), bare.start(DUE + timedelta(hours=1))
    bare.sweep_at(DUE)
    assert [c[2] for c in bare.calls] == [early]
    bare.sweep_at(DUE + timedelta(hours=1))
    assert [c[2] for c in bare.calls] == [early, later]


def test_completing_the_task_removes_its_timers(bare):
    instance_id = bare.start()
    bare.sweep_at(DUE)
    assert bare.timer_rows(instance_id) == [("daily", DUE + DAY)]
    with bare.db.unit_of_work() as session:
        bare.runtime.clock.sync(session)
        loaded = instances.load(session, bare.runtime, instance_id, actor="test")
        [work] = loaded.ready_user_tasks()
        instances.complete_task(loaded, work, {"note": "done"})
        instances.save(session, bare.runtime, loaded)
    assert bare.timer_rows(instance_id) == []
    with bare.db.unit_of_work() as session:
        instance = session.get(Instance, instance_id)
        assert instance.completed and instance.end_event in ("done", "late_end", "daily_end")
    assert bare.sweep_at(DUE + 10 * DAY).fired == 0


def _load_apart(db, runtime, instance_id):
    """Load one instance in two sessions, as two units of work would. SQLite lets one writer
    transaction in at a time (BEGIN IMMEDIATE), so there each read transaction ends before the
    other starts; PostgreSQL keeps both open."""
    sqlite = db.engine.dialect.name == "sqlite"
    s1, s2 = db.sessionmaker(), db.sessionmaker()
    a = instances.load(s1, runtime, instance_id, actor="a")
    if sqlite:
        s1.commit()
    b = instances.load(s2, runtime, instance_id, actor="b")
    if sqlite:
        s2.commit()
    return (s1, a), (s2, b)


def test_two_units_of_work_saving_one_version_conflict(db_url):
    bare = make_bare(db_url)                        # SQLite and PostgreSQL
    (s1, a), (s2, b) = (None, None), (None, None)
    try:
        instance_id = bare.start()
        (s1, a), (s2, b) = _load_apart(bare.db, bare.runtime, instance_id)
        version = a.instance.version
        assert b.instance.version == version
        for loaded, note in ((a, "first"), (b, "second")):
            [work] = loaded.ready_user_tasks()
            instances.complete_task(loaded, work, {"note": note})
        instances.save(s1, bare.runtime, a)
        s1.commit()
        with pytest.raises(instances.Conflict, match=f"instance {instance_id} was changed"):
            instances.save(s2, bare.runtime, b)
        s2.rollback()
        with bare.db.unit_of_work() as session:
            instance = session.get(Instance, instance_id)
            assert instance.version == version + 1 and instance.completed
            completions = [e for e in events.get_stream(session, events.instance_stream(instance_id))
                           if e.kind == "task_completed"]
            assert [e.data["form"] for e in completions] == [{"note": "first"}]
            # the loser extended no chain: the row's head is the winner's, and the stream ends there
            assert events.verify_stream(session, events.instance_stream(instance_id),
                                        head=(instance.event_seq, instance.event_hash)).ok
            assert replay.replay_instance(session, bare.runtime, instance_id).ok
    finally:
        for session in (s1, s2):
            if session is not None:
                session.close()
        bare.db.dispose()


def test_the_workflow_cache_never_hands_one_workflow_to_two_loads(bare):
    instance_id = bare.start()                      # saved and committed: its workflow is cached
    (s1, a), (s2, b) = _load_apart(bare.db, bare.runtime, instance_id)
    assert a.workflow is not b.workflow
    s1.close()
    s2.close()

    # a unit of work that changed the workflow and rolled back must not leave it in the cache
    with bare.db.sessionmaker() as session:
        loaded = instances.load(session, bare.runtime, instance_id, actor="test")
        [work] = loaded.ready_user_tasks()
        instances.complete_task(loaded, work, {"note": "rolled back"})
        instances.save(session, bare.runtime, loaded)
        rolled_back = loaded.workflow
        session.rollback()
    with bare.db.unit_of_work() as session:
        fresh = instances.load(session, bare.runtime, instance_id, actor="test")
        assert fresh.workflow is not rolled_back
        assert [t.task_spec.bpmn_id for t in fresh.ready_user_tasks()] == ["work"]
        assert fresh.ready_user_tasks()[0].state == TaskState.READY and "note" not in fresh.ready_user_tasks()[0].data

    # after a commit the saved workflow is reused by the next load, and only by that one
    with bare.db.unit_of_work() as session:
        loaded = instances.load(session, bare.runtime, instance_id, actor="test")
        instances.fire_due_timers(loaded)
        instances.save(session, bare.runtime, loaded)
        committed = loaded.workflow
    (s1, a), (s2, b) = _load_apart(bare.db, bare.runtime, instance_id)
    assert a.workflow is committed and b.workflow is not committed
    s1.close()
    s2.close()


# --- concurrent sweeps: whole instances claimed, short batches, the heartbeat ------------------------

def _start_many(bare, count):
    with bare.db.unit_of_work() as session:
        bare.runtime.clock.sync(session)
        deployment = deployments.get(session, bare.deployment_id)
        ids = []
        for _ in range(count):
            loaded = instances.start(session, bare.runtime, deployment=deployment, data={"due": DUE.isoformat()},
                                     actor="test")
            instances.save(session, bare.runtime, loaded)
            ids.append(loaded.id)
    return ids


def test_concurrent_sweeps_never_deadlock_and_fire_each_timer_once(db_url):
    """Four sweeps at once over instances with two due timers each (the shape that deadlocked: one
    sweep updating an instance whose other timer row another sweep had locked)."""
    bare = make_bare(db_url)
    try:
        ids = _start_many(bare, 120)
        bare.set_clock(DUE)
        bare.runtime.workflows.clear()
        results, errors = [], []

        def one_sweep():
            try:
                results.append(sweep.sweep(bare.db, bare.runtime, batch=7))
            except Exception as exc:      # a deadlock or any other failure of a sweep
                errors.append(exc)
        threads = [threading.Thread(target=one_sweep) for _ in range(4)]
        [t.start() for t in threads]
        [t.join(120) for t in threads]
        assert not any(t.is_alive() for t in threads) and errors == []
        assert sum(r.instances for r in results) == len(ids)            # each instance fired by one sweep
        assert sum(r.fired for r in results) == 2 * len(ids)
        assert sorted(c[2] for c in bare.calls) == sorted(ids)          # `late` ran its service once each
        for instance_id in ids[:5]:
            assert [k for k, _ in bare.stream(instance_id)] == ["started", "timers_fired"]
    finally:
        bare.db.dispose()


def test_an_instance_someone_else_holds_is_skipped_not_waited_for(postgres_bare):
    """PostgreSQL: a sweep meets an instance another transaction holds (a request saving it): it
    skips it at once — someone else has it — and the next sweep fires it."""
    bare = postgres_bare
    held, free = _start_many(bare, 2)
    bare.set_clock(DUE)
    results = []
    with bare.db.engine.connect() as other:
        other.execute(select(Instance.id).where(Instance.id == held).with_for_update())
        running = threading.Thread(target=lambda: results.append(sweep.sweep(bare.db, bare.runtime)))
        running.start()
        running.join(10)
        waited = running.is_alive()
        other.rollback()                    # (lets a sweep that waited finish)
    running.join(30)
    assert not waited, "the sweep waited for the instance another transaction holds"
    [result] = results
    assert (result.instances, result.skipped, result.conflicts) == (1, 1, 0)
    assert [c[2] for c in bare.calls] == [free]
    again = sweep.sweep(bare.db, bare.runtime)
    assert (again.instances, again.skipped) == (1, 0) and [c[2] for c in bare.calls] == [free, held]


def test_an_instance_fired_meanwhile_is_left_as_it_is(bare):
    """A sweep that finds an instance already fired by another (between its due list and its claim)
    saves nothing: no version bump that a request could lose a race against."""
    first, second = _start_many(bare, 2)
    bare.set_clock(DUE)
    versions = {}

    def fire_the_second_elsewhere(_):           # after the first batch, before the second's claim
        if not versions:
            assert sweep.sweep(bare.db, bare.runtime).instances == 1   # the other sweeper takes `second`
            with bare.db.unit_of_work() as session:
                versions.update({i: session.get(Instance, i).version for i in (first, second)})
    result = sweep.sweep(bare.db, bare.runtime, batch=1, on_batch=fire_the_second_elsewhere)
    assert (result.instances, result.skipped) == (1, 1)
    with bare.db.unit_of_work() as session:
        assert session.get(Instance, second).version == versions[second]
    assert sorted(c[2] for c in bare.calls) == [first, second]


def test_a_backlog_is_swept_in_short_batches_and_a_writer_gets_in_between(bare):
    """SQLite: a batch commits once its time budget is spent; a writer that asked meanwhile writes
    before the sweep's next batch (the writers of a process take turns in order), without a pause."""
    ids = _start_many(bare, 6)
    bare.set_clock(DUE)
    order, writer = [], None

    def write():
        with bare.db.unit_of_work() as session:
            bare.runtime.clock.sync(session)
            order.append("writer")

    def progress(_):
        nonlocal writer
        order.append("instance")
        if writer is None:                        # inside the first batch's transaction
            writer = threading.Thread(target=write)
            writer.start()
            bounded(lambda: bare.db.writers.waiting() == 1)          # the writer waits for its turn
    result = sweep.sweep(bare.db, bare.runtime, budget=0, pause=0, on_progress=progress)
    writer.join(10)
    assert (result.instances, result.batches) == (len(ids), len(ids))    # one instance a batch: budget spent
    assert order[:3] == ["instance", "writer", "instance"]


def bounded(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_the_heartbeat_says_when_a_sweep_last_ran_and_what_it_did(bare):
    with bare.db.reading() as session:
        assert sweep.last_heartbeat(session) is None and sweep.heartbeat_age(session) is None
    _start_many(bare, 3)
    bare.set_clock(DUE)
    with bare.db.reading() as session:
        assert timers.due_summary(session, DUE) == (6, DUE)                   # what the sweep has to do: lag 0
        assert timers.due_summary(session, DUE - timedelta(seconds=1)) == (0, None)
    sweep.sweep(bare.db, bare.runtime, by="sweeper-a")
    with bare.db.reading() as session:
        assert timers.due_summary(session, DUE) == (0, None)
    with bare.db.reading() as session:
        beat = sweep.last_heartbeat(session)
        age = sweep.heartbeat_age(session)
    assert (beat.by, beat.instances, beat.fired) == ("sweeper-a", 3, 6)
    assert beat.finished_at == beat.at and beat.seconds >= 0
    assert 0 <= age < 60
    sweep.sweep(bare.db, bare.runtime, by="sweeper-b")                    # nothing due: still a sign of life
    with bare.db.reading() as session:
        later = sweep.last_heartbeat(session)
    assert (later.by, later.instances, later.fired) == ("sweeper-b", 0, 0) and later.at >= beat.at


@pytest.fixture
def postgres_bare(request):
    from tests.conftest import _postgres_url
    bare = make_bare(_postgres_url(request))
    yield bare
    bare.db.dispose()
