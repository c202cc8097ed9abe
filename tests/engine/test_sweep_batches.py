"""The sweep's batch path through real databases (SQLite and PostgreSQL): a batch is fired in
memory and written at once (`instances.save_many`), writing what one `save` per instance writes;
a batch in which an instance lost a race is run again one instance at a time and leaves exactly
that instance for the next sweep; on PostgreSQL helper processes share a backlog, and every
firing and its service's record still happen exactly once.

The bare engine of tests/engine/test_timers.py (tests/engine/data/timer_task.bpmn: `late` runs the
service `tick`, `daily` is a cycle), with a `tick` that records a `ticked` event on the instance's
chain, as a case's penalty does: the database, not a list in this process, says how often it ran.
"""
import gc
import os
import time
from datetime import timedelta

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import func, select, update

from engine import direct, events, instances, replay, sweep
from engine.models import Event, Instance, Timer
from tests.engine.test_timers import DUE, _start_many, make_bare


def ticking(bare, also=None):
    """Give `bare` a `tick` that records a `ticked` event (and then runs `also(call)`)."""
    def tick(call, what):
        if not call.context.replay:
            call.context.record("ticked", {"what": what, "pid": os.getpid()})
            if also is not None:
                also(call)
        return {"what": what}
    bare.runtime.services["tick"] = tick
    return bare


@pytest.fixture
def bare(db_url):
    bare = ticking(make_bare(db_url))
    yield bare
    bare.db.dispose()


def ticked(bare):
    """{instance id: how many `ticked` events it has}."""
    with bare.db.reading() as session:
        return dict(session.execute(select(Event.instance_id, func.count()).where(Event.kind == "ticked")
                                    .group_by(Event.instance_id)).all())


def verified(bare, ids):
    """Every instance's chain verifies against the head on its row, and its replay matches."""
    with bare.db.reading() as session:
        for instance_id in ids:
            instance = session.get(Instance, instance_id)
            assert events.verify_stream(session, events.instance_stream(instance_id),
                                        head=(instance.event_seq, instance.event_hash)).ok
            assert replay.replay_instance(session, bare.runtime, instance_id).ok
    return True


def _written(session, runtime, instance_id):
    """What a save left of an instance, without what differs between two runs of the same firing
    (task ids the run made afresh, the instant a task's state changed)."""
    instance = session.get(Instance, instance_id)
    row = (instance.version, instance.completed, instance.end_event, instance.event_seq, instance.event_hash,
           instance.updated_at)
    stream = [(e.seq, e.kind, e.actor, e.at, e.step, e.data, e.prev_hash, e.hash)
              for e in events.get_stream(session, events.instance_stream(instance_id))]
    timer_rows = sorted(session.execute(select(Timer.spec_name, Timer.due_at, Timer.provisional)
                                        .where(Timer.instance_id == instance_id)).all())
    workflow = instances.load(session, runtime, instance_id, actor="test").workflow
    tasks = sorted((t.task_spec.name, t.state, repr(sorted(t.internal_data.items())), repr(sorted(t.data.items())))
                   for t in workflow.tasks.values())
    return row, stream, timer_rows, tasks


def test_save_many_writes_what_save_writes(bare):
    """One firing saved by `save`, then (rolled back) the same firing saved by `save_many` beside
    another instance: the same instance row, the same hash-chained events, the same timer rows,
    the same state, and the listeners see the same."""
    first, other = _start_many(bare, 2)
    bare.set_clock(DUE)
    seen = []
    bare.runtime.listeners.append(lambda session, loaded: seen.append(
        (loaded.id, [e["kind"] for e in loaded.saved_events], loaded.instance.version)))

    def fire_and_save(many):
        with bare.db.sessionmaker() as session:
            bare.runtime.clock.sync(session)
            batch = [instances.load(session, bare.runtime, i, actor="timer") for i in (first, other)[:1 + many]]
            for loaded in batch:
                instances.fire_due_timers(loaded)
            if many:
                instances.save_many(session, bare.runtime, batch)
            else:
                instances.save(session, bare.runtime, batch[0])
            bare.runtime.workflows.clear()
            written = _written(session, bare.runtime, first)
            session.rollback()
            return written
    one, listened_one = fire_and_save(False), list(seen)
    seen.clear()
    bare.runtime.workflows.clear()
    together = fire_and_save(True)
    assert together == one
    assert seen[:1] == listened_one
    assert listened_one[0][:2] == (first, ["timers_fired", "ticked"]) and listened_one[0][2] == one[0][0]
    assert [kind for _, kind, *_ in one[1]] == ["started", "timers_fired", "ticked"]
    assert one[2] == [("daily", DUE + timedelta(days=1), False)]          # late is done, daily moved on


def test_a_batch_fires_each_instance_once_with_one_statement_a_kind(bare):
    ids = _start_many(bare, 12)
    bare.set_clock(DUE)
    bare.runtime.workflows.clear()
    statements = []
    with_counter = _count_statements(bare.db, statements)
    with with_counter:
        result = sweep.sweep(bare.db, bare.runtime, batch=5, budget=60, pause=0)
    assert (result.instances, result.fired, result.conflicts, result.skipped, result.batches) == (12, 24, 0, 0, 3)
    assert ticked(bare) == {i: 1 for i in ids}
    # per batch one UPDATE of the instances, one INSERT of the events, one DELETE and one INSERT of
    # the timer rows, whatever its size
    writes = [s for s in statements if s.split()[0] in ("UPDATE", "INSERT", "DELETE")]
    assert sum(s.startswith("UPDATE instances") for s in writes) == 3
    assert sum(s.startswith("INSERT INTO events") for s in writes) == 3
    assert sum(s.startswith("DELETE FROM timers") for s in writes) == 3
    assert sweep.sweep(bare.db, bare.runtime).fired == 0                       # nothing left, nothing twice
    assert ticked(bare) == {i: 1 for i in ids}
    assert verified(bare, ids)


def test_a_conflict_in_a_batch_leaves_exactly_that_instance_for_the_next_sweep(bare):
    """While the first instance of a batch fires, something in the same transaction changes the
    third one's row behind the version the sweep read (a plain UPDATE that no ORM object sees, as
    a lost race looks): the
    batch's writes find it (the rowcount), the batch is undone and run again one instance at a
    time, the third loses its version check there too and is left; the others are fired once.
    The next sweep fires it from its row as it now is."""
    ids = _start_many(bare, 5)
    first, loser = ids[0], ids[2]

    def change_the_loser(call):
        if call.context.instance_id == first:
            table = Instance.__table__          # a plain statement: the session's copy stays as it was read
            call.context.session.connection().execute(update(table).where(table.c.id == loser)
                                                      .values(version=table.c.version + 1))
    ticking(bare, also=change_the_loser)
    with bare.db.reading() as session:
        version = session.get(Instance, loser).version
    bare.set_clock(DUE)
    result = sweep.sweep(bare.db, bare.runtime, batch=10, pause=0)
    assert (result.instances, result.fired, result.conflicts, result.skipped) == (4, 8, 1, 0)
    assert ticked(bare) == {i: 1 for i in ids if i != loser}
    with bare.db.reading() as session:
        assert session.get(Instance, loser).version == version + 1                # the other's change, no firing
        assert session.scalar(select(func.count()).select_from(Timer)
                              .where(Timer.instance_id == loser, Timer.due_at <= DUE)) == 2
    again = sweep.sweep(bare.db, bare.runtime, pause=0)
    assert (again.instances, again.fired, again.conflicts) == (1, 2, 0)
    assert ticked(bare) == {i: 1 for i in ids}
    assert verified(bare, ids)


def test_an_instance_that_changes_another_of_its_batch_is_saved_in_order(bare):
    """A firing that records an event on another instance of the same batch (as a merge records
    on its target): written one by one, in order, both chains hold and both fire once."""
    ids = _start_many(bare, 4)
    first, target = ids[0], ids[1]

    def note_on_the_target(call):
        if call.context.instance_id == first:
            instances.record(call.context.session, target, kind="noted", at=call.now, actor="timer",
                             data={"by": first})
    ticking(bare, also=note_on_the_target)
    bare.set_clock(DUE)
    result = sweep.sweep(bare.db, bare.runtime, batch=10, pause=0)
    assert (result.instances, result.conflicts) == (4, 0)
    assert ticked(bare) == {i: 1 for i in ids}
    with bare.db.reading() as session:
        kinds = [e.kind for e in events.get_stream(session, events.instance_stream(target))]
    assert sorted(kinds) == sorted(["started", "noted", "timers_fired", "ticked"]) and kinds[0] == "started"
    assert verified(bare, ids)


def _count_statements(db, statements):
    from contextlib import contextmanager
    from sqlalchemy import event

    @contextmanager
    def counting():
        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(" ".join(statement.split()))
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            with direct.observing(lambda sql, _rows: statements.append(" ".join(sql.split()))):
                yield
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    return counting()


# --- PostgreSQL: helper processes -------------------------------------------------------------------

@pytest.fixture
def postgres_bare(request):
    from tests.conftest import _postgres_url
    bare = ticking(make_bare(_postgres_url(request)))
    yield bare
    bare.db.dispose()


def test_helper_processes_share_a_backlog_and_fire_each_instance_once(postgres_bare):
    bare = postgres_bare
    ids = _start_many(bare, 60)
    bare.set_clock(DUE)
    bare.runtime.workflows.clear()
    held = ids[-1]
    with bare.db.engine.connect() as other:          # a request holds one instance meanwhile
        other.execute(select(Instance.id).where(Instance.id == held).with_for_update())
        result = sweep.sweep(bare.db, bare.runtime, batch=5, processes=2)
        other.rollback()
    assert result.processes == 2
    assert (result.instances, result.fired, result.conflicts, result.skipped) == (59, 118, 0, 1)
    fired = ticked(bare)
    assert fired == {i: 1 for i in ids if i != held}
    with bare.db.reading() as session:               # a helper fired some: their events say so
        pids = set(session.scalars(select(Event.data["pid"].as_integer()).where(Event.kind == "ticked")))
    assert len(pids) == 2 and os.getpid() in pids
    again = sweep.sweep(bare.db, bare.runtime, batch=5, processes=2)
    assert (again.instances, again.skipped, again.processes) == (1, 0, 1)      # one batch: no helper
    assert ticked(bare) == {i: 1 for i in ids}
    assert verified(bare, ids[:3] + ids[-3:])


def test_a_helper_that_dies_leaves_its_batch_for_the_next_sweep(postgres_bare):
    """A helper process killed half-way (power cut in that process): what it had committed stays,
    its open batch is rolled back with its connection, the rest is fired by the sweep's own process
    or the next sweep; never anything twice."""
    bare = postgres_bare
    ids = _start_many(bare, 40)
    parent = os.getpid()
    doomed = {}

    def die_in_the_helper(call):
        if os.getpid() != parent and not doomed:
            doomed[call.context.instance_id] = True
            os._exit(3)
    ticking(bare, also=die_in_the_helper)
    bare.set_clock(DUE)
    bare.runtime.workflows.clear()
    result = sweep.sweep(bare.db, bare.runtime, batch=5, processes=2)
    assert result.processes == 2 and result.conflicts == 0
    ticking(bare)
    again = sweep.sweep(bare.db, bare.runtime, batch=5)
    assert result.instances + again.instances == len(ids)
    assert ticked(bare) == {i: 1 for i in ids}
    assert verified(bare, ids[:2] + ids[-2:])


def test_a_helper_that_hangs_is_ended_and_its_batch_is_left_for_the_next_sweep(postgres_bare, monkeypatch):
    """A helper that stops giving signs of life (stuck on something of its own) is ended after the
    stall time; the batch it held is rolled back with its connection and fired by the next sweep,
    once."""
    bare = postgres_bare
    ids = _start_many(bare, 30)
    parent = os.getpid()

    def hang_in_the_helper(call):
        if os.getpid() != parent:
            time.sleep(3600)
        time.sleep(0.02)         # (the sweep's own process slower: the helper has its batch by then)
    ticking(bare, also=hang_in_the_helper)
    monkeypatch.setattr(sweep, "STALL", 1.0)
    bare.set_clock(DUE)
    started = time.monotonic()
    result = sweep.sweep(bare.db, bare.runtime, batch=5, budget=0.05, processes=2)
    assert time.monotonic() - started < 30
    assert result.processes == 2 and result.instances < len(ids)    # the helper's held batch was not fired
    ticking(bare)
    again = sweep.sweep(bare.db, bare.runtime, batch=5)
    assert result.instances + again.instances == len(ids)
    assert ticked(bare) == {i: 1 for i in ids}


def test_a_batch_frees_its_workflows_itself(bare):
    """Once a batch has committed, its workflows are taken apart (`instances.discard`) and freed by
    reference counting: none is left for the garbage collector to find, and the next sweep, which
    loads them afresh, fires what fell due since."""
    ids = _start_many(bare, 6)
    bare.set_clock(DUE)
    bare.runtime.workflows.clear()  # as in a sweeper process: each workflow is read from the database
    gc.collect()
    gc.disable()                    # (the sweep then leaves the collector as it found it)
    try:
        before = sum(isinstance(o, BpmnWorkflow) for o in gc.get_objects())
        result = sweep.sweep(bare.db, bare.runtime, batch=10, pause=0)
        left = sum(isinstance(o, BpmnWorkflow) for o in gc.get_objects()) - before
    finally:
        gc.enable()
    assert (result.instances, result.conflicts) == (6, 0)
    assert left == 0
    assert ticked(bare) == {i: 1 for i in ids}
    bare.set_clock(DUE + timedelta(days=1))           # the daily cycle's next occurrence
    again = sweep.sweep(bare.db, bare.runtime, batch=10, pause=0)
    assert again.instances == 6 and again.conflicts == 0
    assert verified(bare, ids)
