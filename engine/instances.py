"""Instances: start, load, run, complete a task, save with a version check.

One unit of work: `load` (or `start`) -> change the workflow -> `save`. `save` writes the state,
refreshes the timer table, calls the listeners (which refresh their derived rows) and appends
the events, all in the caller's transaction.
"""
import hashlib
from contextlib import contextmanager
from uuid import UUID
from dataclasses import dataclass, field

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import direct, events, pipeline, spiff, timers
from .models import Deployment, Instance
from .scripting import RunContext


class Conflict(Exception):
    """The instance cannot be changed as asked where it stands now; nothing was written."""


class Stale(Conflict):
    """The instance changed meanwhile: another unit of work saved it first (the version check
    failed). The message names the instance, for logs; what a caller is told says no more than
    that someone else was quicker."""


class NotFound(Exception):
    """No such instance or task."""


class Missing(NotFound):
    """The engine's own NotFound: no such instance or task, or it is not where it was asked for.
    The message names the instance or task, for logs; what a caller is told names none."""


@dataclass
class Loaded:
    """An instance row and its live workflow, for one unit of work."""

    instance: Instance
    deployment: Deployment
    workflow: BpmnWorkflow
    context: RunContext
    new_events: list = field(default_factory=list)
    saved_events: list = field(default_factory=list)   # the event rows the last save appended (for listeners)
    scratch: dict = field(default_factory=dict)   # per-unit-of-work memo for listeners (e.g. the case row)
    # Ids of the READY user tasks as the instance was loaded, i.e. as its last save left them: a
    # listener keeping rows per open task knows its rows without reading them.
    ready_at_load: frozenset = frozenset()
    never_saved: bool = False      # started in this unit of work and not saved yet: it has no timer rows

    def ready_user_tasks(self):
        """READY user tasks, in the tree's order; memoised until the workflow runs again (listeners
        ask repeatedly)."""
        if "_ready" not in self.scratch:
            self.scratch["_ready"] = ready_user_tasks(self.workflow)
        return self.scratch["_ready"]

    def ran(self):
        """Forget what was memoised about the workflow's state: it has moved on."""
        self.scratch.pop("_ready", None)

    @property
    def id(self):
        return self.instance.id

    def main_task(self, exclude=()):
        """The task that says where the instance stands: the first READY user task not in `exclude`,
        else (completed or only timers waiting) the most recently finished task."""
        for task in self.ready_user_tasks():
            if task.task_spec.bpmn_id not in exclude:
                return task
        done = [t for t in all_tasks(self.workflow) if t.state == TaskState.COMPLETED]
        return max(done, key=lambda t: t.last_state_change) if done else self.workflow.task_tree

    def task(self, task_id):
        try:
            task = self.workflow.get_task_from_id(UUID(str(task_id)))
        except (ValueError, TypeError):
            task = None
        if task is None:
            raise Missing(f"task {task_id} not found")
        return task


def all_tasks(workflow):
    """Every task of the workflow and its subprocesses, from their id maps: a plain scan, several
    times cheaper than SpiffWorkflow's walk of the tree (`get_tasks`), in no particular order."""
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def ready_user_tasks(workflow):
    """The READY user tasks in `get_tasks`' tree order: found by the plain scan; the tree is walked
    only to order several (an order the callers rely on: the first is where the case stands)."""
    found = [t for t in all_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual]
    if len(found) > 1:
        found = workflow.get_tasks(state=TaskState.READY, manual=True)
    return found


@contextmanager
def savepoint(session):
    """Part of a unit of work that can be undone alone (e.g. a report that lost a race on a unique
    key, to be answered from the winner's row instead): on any error its savepoint is rolled back,
    with the workflows it would have cached at commit, and the error raised on."""
    pending = session.info.setdefault("citygrid.cache", [])
    mark = len(pending)
    try:
        with session.begin_nested():
            yield
    except BaseException:
        del session.info.get("citygrid.cache", [])[mark:]
        raise


def _attach(runtime, workflow, context):
    workflow.script_engine = runtime.script_engine(context)
    return workflow


def start(session, runtime, *, deployment, data, actor, replay=False, about=None) -> Loaded:
    """Create an instance on a deployment with start data and run it until it waits. `about`: what
    the caller records beside the start data on the `started` event (e.g. why this process)."""
    spec, subprocess_specs = runtime.specs(deployment)
    now = runtime.clock.now()
    instance = Instance(deployment_id=deployment.id, state="", created_at=now, updated_at=now)
    if not replay:
        session.add(instance)
        session.flush()
    context = RunContext(session=session, instance_id=instance.id, actor=actor, replay=replay, at=now)
    workflow = BpmnWorkflow(spec, subprocess_specs)
    _attach(runtime, workflow, context)
    workflow.task_tree.data.update(data)
    loaded = Loaded(instance, deployment, workflow, context, never_saved=True)
    context.loaded = loaded
    loaded.new_events.append(dict(kind="started", step=spec.name, data={"data": data, **(about or {})}))
    workflow.do_engine_steps()
    return loaded


def load(session, runtime, instance_id, *, actor) -> Loaded:
    """Load an instance for a unit of work (the version read is checked when it is saved)."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise Missing(f"instance {instance_id} not found")
    deployment = runtime.deployment(session, instance.deployment_id)
    context = RunContext(session=session, instance_id=instance.id, actor=actor)
    workflow = runtime.workflows.take(instance.id, instance.version)
    if workflow is None:
        spec, subprocess_specs = runtime.specs(deployment)
        workflow = spiff.state_from_json(instance.state, spec, subprocess_specs)
    _attach(runtime, workflow, context)
    context.loaded = Loaded(instance, deployment, workflow, context,
                            ready_at_load=frozenset(str(t.id) for t in ready_user_tasks(workflow)))
    return context.loaded


def catch_up_timers(loaded: Loaded):
    """Fire what fell due before this unit of work's input, first: an input arriving after a
    deadline the sweep has not reached yet (a backlog, a scheduler that was down) then meets the
    case as a punctual sweep would have left it — the overdue penalty charged to the unit that held
    it then — and the timers never wake up inside the input's run, where they would wait, fired
    but not run, for the case's next step. Recorded as its own `timers_fired` event before the
    input, so a replay, which replays only what was recorded, never catches up (catch_up=False).
    Nothing due (the usual case): nothing to do, and the pass over the tree is skipped."""
    if not timers.any_due(loaded.workflow, loaded.workflow.script_engine.now()):
        return []
    return fire_due_timers(loaded)


def complete_task(loaded: Loaded, task, data: dict, meta: dict | None = None, *, catch_up=True):
    """Complete a READY user task with its form data and run the workflow until it waits (after
    firing what was due before, see `catch_up_timers`).

    `meta` is what the caller knew of the task (e.g. to whom it was assigned), recorded in the
    event beside the form; replays read only the form."""
    if catch_up:
        catch_up_timers(loaded)
    if task.state != TaskState.READY or not task.task_spec.manual:
        raise Missing(f"task {task.id} is not open")
    task.set_data(**data)
    loaded.ran()
    task.run()
    recorded = {"task_id": str(task.id), "form": data}
    if meta:
        recorded["meta"] = meta
    loaded.new_events.append(dict(kind="task_completed", step=task.task_spec.bpmn_id or task.task_spec.name,
                                  data=recorded))
    loaded.workflow.do_engine_steps()


def waits_for_message(loaded: Loaded, name) -> bool:
    """Whether a catch event of the instance waits for the message `name` now."""
    wanted = MessageEventDefinition(name)
    return any(task.task_spec.event_definition == wanted for task in loaded.workflow.event_manager.tasks.values())


def receive_message(loaded: Loaded, name, payload: dict, *, catch_up=True):
    """Deliver the message `name` with its payload to the catch events waiting for it, and run on
    (after firing what was due before, see `catch_up_timers`). Recorded as an input (replays
    deliver it again); NotFound when no catch event waits for it."""
    if catch_up:
        catch_up_timers(loaded)
    if not waits_for_message(loaded, name):
        raise Missing(f"instance {loaded.id} is not waiting for message {name!r}")
    loaded.ran()
    try:
        loaded.workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=payload))
    except WorkflowException as exc:
        raise Missing(str(exc)) from None
    loaded.new_events.append(dict(kind="message_received", step=name, data={"name": name, "payload": payload}))
    loaded.workflow.do_engine_steps()


def fire_due_timers(loaded: Loaded):
    """Let every due timer fire (at the clock's now) and run on; returns the occurrences fired.
    The firing is recorded before the events its run appended (e.g. a data change of a service it
    led to), as the cause before its effects: a replay re-fires it at that place."""
    before = timers.fired_marks(loaded.workflow)
    mark = len(loaded.new_events)
    loaded.ran()
    loaded.workflow.refresh_timers()
    loaded.workflow.do_engine_steps()
    fired = sorted(timers.fired_marks(loaded.workflow) - before)
    if fired:
        loaded.new_events.insert(mark, dict(kind="timers_fired", step=None,
                                            data={"timers": [{"timer": n, "occurrence": o} for n, o in fired]}))
    return fired


def end_event(workflow):
    """The bpmn id of the end event a completed workflow finished on."""
    if not workflow.is_completed():
        return None
    ends = [t for t in workflow.tasks.values()
            if t.state == TaskState.COMPLETED and type(t.task_spec).__name__ == "EndEvent"]
    ends.sort(key=lambda t: t.last_state_change)
    return ends[-1].task_spec.bpmn_id if ends else None


# The version-checked UPDATE of `save`, built once: the SET clause is the parameters' columns.
_INSTANCES = Instance.__table__
_SAVE = update(_INSTANCES).where(_INSTANCES.c.id == bindparam("_id"), _INSTANCES.c.version == bindparam("_version"))


def _plan(loaded: Loaded):
    """What saving `loaded` writes, nothing written yet: (the instance row's new values, the event
    rows chained onto its head, its waiting timers when they changed else None). The events it
    collected are taken from it."""
    instance, workflow = loaded.instance, loaded.workflow
    waiting = timers.waiting_timers(workflow)
    digest = hashlib.sha1(repr(waiting).encode()).hexdigest()
    rows = [dict(at=loaded.context.at, actor=loaded.context.actor, instance_id=instance.id,
                 deployment_id=instance.deployment_id, **spec)
            for spec in [*loaded.new_events, *loaded.context.events]]
    loaded.new_events.clear()
    loaded.context.events.clear()
    (seq, head), event_rows = events.chain((instance.event_seq, instance.event_hash),
                                           stream=events.instance_stream(instance.id), rows=rows)
    values = dict(state=spiff.state_to_json(workflow), completed=workflow.is_completed(),
                  end_event=end_event(workflow), updated_at=loaded.context.at, timers_digest=digest,
                  event_seq=seq, event_hash=head, version=instance.version + 1)
    return values, event_rows, waiting if digest != instance.timers_digest else None


def save(session, runtime, loaded: Loaded):
    """Persist state, timer rows, derived rows (listeners) and events in the caller's transaction,
    with one version-checked UPDATE of the instance; raise Conflict on a lost race.

    The UPDATE is a plain statement, its values then set on the instance object as committed ones:
    the ORM's flush of one row cost more than all the rest of the writes. On PostgreSQL it is
    pipelined with the rest and its answer read where the pipeline ends: the listeners run while
    the server writes the state (a lost race's other writes are undone with the transaction)."""
    instance, workflow = loaded.instance, loaded.workflow
    instance_id = instance.id   # the session is unusable after a failed flush
    lost = f"instance {instance_id} was changed by someone else; reload and try again"
    values, event_rows, waiting = _plan(loaded)
    try:
        session.flush()   # what else this unit of work changed (a reported case) goes first
    except StaleDataError:
        raise Stale(lost) from None
    connection, check = session.connection(), None
    try:
        with pipeline.writes(connection):
            check = direct.counted(connection, _SAVE, dict(values, _id=instance_id, _version=instance.version))
            if check.rowcount not in (1, -1):       # answered at once (SQLite): nothing else goes out
                raise Stale(lost)
            for name, value in values.items():
                set_committed_value(instance, name, value)
            loaded.saved_events = event_rows
            events.insert_rows(session, event_rows)
            if waiting is not None:
                timers.replace(session, runtime, instance_id, waiting, fresh=loaded.never_saved)
            loaded.never_saved = False
            with session.no_autoflush:
                for listener in runtime.listeners:
                    listener(session, loaded)
    except Exception:
        if check is not None and check.rowcount == 0:
            # the race was lost before what failed after it (e.g. the winner's events' keys)
            session.expire(instance)
            raise Stale(lost) from None
        raise
    if check.rowcount != 1:
        session.expire(instance)
        raise Stale(lost)
    session.flush()
    loaded.ready_at_load = frozenset(str(t.id) for t in loaded.ready_user_tasks())   # as saved now
    session.info.setdefault("citygrid.cache", []).append((runtime.workflows, instance_id, instance.version, workflow))


def save_many(session, runtime, batch, *, cache=True):
    """`save` for several loaded instances at once (the sweep's batches): the same rows — state and
    version, events, timer rows, the listeners' rows — written with one statement per kind of row
    for the whole batch (executemany) instead of several per instance. Keep it in step with `save`
    (tests/engine/test_sweep_batches.py compares the two).

    All or nothing: when the version check fails for any of them (someone changed it meanwhile),
    Stale is raised before an instance object takes a new value; the caller rolls the batch back
    to a savepoint and saves its instances one at a time (`save`) to leave the loser alone.
    `cache=False`: the saved workflows are not kept for the next unit of work (runtime.workflows)."""
    plans = [(loaded, *_plan(loaded)) for loaded in batch]
    if not plans:
        return
    try:
        session.flush()   # what else this unit of work changed (the services' rows) goes first
    except StaleDataError:
        raise Stale("an instance of the batch was changed by someone else; save them one by one") from None
    connection = session.connection()
    saved = direct.send(connection, _SAVE, [dict(values, _id=loaded.instance.id, _version=loaded.instance.version)
                                            for loaded, values, _, _ in plans])
    if saved != len(plans):
        raise Stale(f"{len(plans) - saved} instance(s) of the batch were changed by someone else; "
                    "save them one by one")
    for loaded, values, event_rows, _ in plans:
        for name, value in values.items():
            set_committed_value(loaded.instance, name, value)
        loaded.saved_events = event_rows
        loaded.never_saved = False
    with pipeline.writes(connection):
        events.insert_rows(session, [row for _, _, event_rows, _ in plans for row in event_rows])
        timers.replace_many(session, runtime, {loaded.instance.id: waiting for loaded, _, _, waiting in plans
                                               if waiting is not None})
        with session.no_autoflush:
            for loaded, _, _, _ in plans:
                for listener in runtime.listeners:
                    listener(session, loaded)
    session.flush()
    cached = session.info.setdefault("citygrid.cache", [])
    for loaded, _, _, _ in plans:
        loaded.ready_at_load = frozenset(str(t.id) for t in loaded.ready_user_tasks())   # as saved now
        if cache:
            cached.append((runtime.workflows, loaded.instance.id, loaded.instance.version, loaded.workflow))


def discard(loaded: Loaded):
    """Take apart an instance nothing will use again (saved and committed, kept in no cache): a
    workflow's tasks, its subprocesses and its run context refer to each other, so reference
    counting alone never frees them and the garbage collector must find them (a sweep's batch of
    300: about 40,000 objects, a tenth of its time). Emptied, they are freed at once. Whatever
    still holds a piece of it afterwards finds nothing there (AttributeError), not a stale state."""
    workflow = loaded.workflow
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in wf.tasks.values():
            task.__dict__.clear()
        wf.__dict__.clear()
    loaded.context.__dict__.clear()
    loaded.__dict__.clear()


def update_data(loaded: Loaded, updates: dict, *, reason: str, external=False, context=None):
    """Change data on the live frontier (open, running and waiting tasks) and re-arm the waiting
    timers so their due times are computed again from the new data. Recorded with before/after;
    `external` changes (not caused by the run itself) are re-applied by replays, and `context`
    tells the replay what changed in the world (see Runtime.replay_context)."""
    live = loaded.workflow.get_tasks(state=TaskState.READY | TaskState.STARTED | TaskState.WAITING)
    waiting = set(loaded.workflow.event_manager.tasks.values())
    before = {}
    for task in live:
        for key in updates:
            before.setdefault(key, task.data.get(key))
        task.data.update(updates)
        if task in waiting and task.parent is not None:
            # A waiting event re-inherits its parent's data whenever it is updated.
            task.parent.data.update(updates)
    spiff.forget_task_dicts(loaded.workflow)   # a finished parent's data just changed
    loaded.ran()
    timers.rearm(loaded.workflow)
    loaded.new_events.append(dict(kind="data_changed", step=None,
                                  data={"reason": reason, "before": before, "after": updates,
                                        "external": external, "context": context or {}}))


def record(session, instance_id, *, kind, at, actor, data, step=None):
    """Append an event that happened beside the process (not an input of it: replay skips it) to
    the instance's chain. The head lives on the instance row under its version check, so a step
    saved concurrently makes one of the two units of work fail with Conflict, never a fork."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise Missing(f"instance {instance_id} not found")
    head, rows = events.chain((instance.event_seq, instance.event_hash), stream=events.instance_stream(instance_id),
                              rows=[dict(kind=kind, at=at, actor=actor, instance_id=instance_id,
                                         deployment_id=instance.deployment_id, step=step, data=data)])
    instance.event_seq, instance.event_hash = head
    try:
        session.flush()
    except StaleDataError:
        raise Stale(f"instance {instance_id} was changed by someone else; reload and try again") from None
    events.insert_rows(session, rows)
