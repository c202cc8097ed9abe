"""Replay: re-run an instance's recorded inputs on its pinned deployment in simulated time and
compare the result with the stored state."""
from dataclasses import dataclass

from SpiffWorkflow.util.task import TaskState

from . import events, instance_migration, instances, spiff
from .models import Instance
from .scripting import FixedClock


@dataclass
class ReplayResult:
    ok: bool
    problem: str | None = None
    loaded: object = None        # the replayed instances.Loaded (when the replay got to the end)


def _snapshot(workflow):
    """What must match: every task's spec, state and data, in tree order, per (sub)workflow."""
    def walk(wf):
        return [(t.task_spec.name, TaskState.get_name(t.state), t.data) for t in wf.get_tasks_iterator()]
    return [("top", walk(workflow))] + [(wf.spec.name, walk(wf)) for wf in workflow.subprocesses.values()]


def _first_difference(expected, actual):
    if len(expected) != len(actual):
        return f"{len(actual)} (sub)processes replayed, {len(expected)} stored"
    for (name, stored), (_, replayed) in zip(expected, actual):
        for i, (a, b) in enumerate(zip(stored, replayed)):
            if a[0] != b[0] or a[1] != b[1]:
                return f"{name} task {i}: stored {a[0]} {a[1]}, replayed {b[0]} {b[1]}"
            if a[2] != b[2]:
                keys = sorted(k for k in set(a[2]) | set(b[2]) if a[2].get(k) != b[2].get(k))
                return f"{name} task {i} ({a[0]}): data differs in {', '.join(keys)}"
        if len(stored) != len(replayed):
            return f"{name}: {len(stored)} tasks stored, {len(replayed)} replayed"
    return None


class _Replayer:
    def __init__(self, session, runtime, deployment):
        self.session, self.deployment = session, deployment
        self.clock = FixedClock(None)
        self.runtime = runtime.with_clock(self.clock)
        self.loaded = None

    def _enter(self, at):
        self.loaded.context.at = at
        self.loaded.workflow.script_engine = self.runtime.script_engine(self.loaded.context)

    def apply(self, event):
        """Re-run one recorded input; returns a problem string or None."""
        self.clock.instant = event.at
        if event.kind == "started":
            self.loaded = instances.start(self.session, self.runtime, deployment=self.deployment,
                                          data=event.data["data"], actor=event.actor, replay=True)
            return None
        if self.loaded is None:
            return f"event #{event.seq} ({event.kind}) comes before the start"
        if event.kind == "task_completed":
            self._enter(event.at)
            ready = [t for t in self.loaded.ready_user_tasks() if t.task_spec.bpmn_id == event.step]
            if not ready:
                return f"event #{event.seq}: no open {event.step} task when replayed"
            instances.complete_task(self.loaded, ready[0], event.data["form"], catch_up=False)
        elif event.kind == "timers_fired":
            self._enter(event.at)
            fired = [list(f) for f in instances.fire_due_timers(self.loaded)]
            recorded = [[t["timer"], t["occurrence"]] for t in event.data["timers"]]
            if fired != recorded:
                return f"event #{event.seq}: replay fired {fired}, stored {recorded}"
        elif event.kind == "message_received":
            self._enter(event.at)
            try:
                instances.receive_message(self.loaded, event.data["name"], event.data["payload"], catch_up=False)
            except instances.NotFound:
                return f"event #{event.seq}: nothing waited for message {event.data['name']!r} when replayed"
        elif event.kind == "migrated":
            self._enter(event.at)
            self.deployment = self.runtime.deployment(self.session, event.data["to"])
            instance_migration.apply(self.loaded, self.runtime, self.deployment)
        elif event.kind == "data_changed" and event.data.get("external"):
            self._enter(event.at)
            instances.update_data(self.loaded, event.data["after"], reason=event.data["reason"], external=True,
                                  context=event.data.get("context"))
        return None


def _run(session, runtime, instance, stream, until_seq=None, observe=None):
    """Replay the stream (up to and including event `until_seq`); returns (replayer, problem).
    `observe(event, loaded)` is called after each event is re-applied."""
    started = next((e for e in stream if e.kind == "started"), None)
    # The deployment it started on: later `migrated` events move the replay on as they moved the case.
    deployment = runtime.deployment(session, started.deployment_id if started else instance.deployment_id)
    replayer = _Replayer(session, runtime, deployment)
    for index, event in enumerate(stream):
        if until_seq is not None and event.seq > until_seq:
            break
        later = [e for e in stream[index:] if e.kind == "data_changed" and e.data.get("external")]
        with runtime.replay_context(later):
            problem = replayer.apply(event)
            if problem is None and observe is not None and replayer.loaded is not None:
                observe(event, replayer.loaded)
        if problem:
            return replayer, problem
    if replayer.loaded is None:
        return replayer, "no start event"
    return replayer, None


def state_after(session, runtime, instance_id, seq):
    """The workflow as it stood right after event `seq` of the instance (for "the diagram at this
    event"), and the deployment it was on then; raises ValueError if the replay cannot get there."""
    instance = session.get(Instance, instance_id)
    stream = events.get_stream(session, events.instance_stream(instance_id))
    replayer, problem = _run(session, runtime, instance, stream, until_seq=seq)
    if problem:
        raise ValueError(problem)
    return replayer.loaded.workflow, replayer.deployment


def replay_instance(session, runtime, instance_id, observe=None) -> ReplayResult:
    """Re-run the recorded inputs (start, completions, timer firings, messages, external data changes), each
    in the world as it was then (runtime.replay_context), and compare with the stored state.
    `observe(event, loaded)` sees the replayed instance right after each event (to rebuild what
    was derived from it); the result's `loaded` is the replayed instance at the end."""
    instance = session.get(Instance, instance_id)
    stream = events.get_stream(session, events.instance_stream(instance_id))
    replayer, problem = _run(session, runtime, instance, stream, observe=observe)
    if problem:
        return ReplayResult(False, problem)
    if replayer.deployment.id != instance.deployment_id:
        return ReplayResult(False, f"replay ends on version {replayer.deployment.id}, "
                                   f"the instance is on version {instance.deployment_id}")
    spec, subprocess_specs = runtime.specs(replayer.deployment)
    stored = spiff.state_from_json(instance.state, spec, subprocess_specs)
    # Through the same JSON round trip as the stored state, so that only content is compared.
    replayed = spiff.state_from_json(spiff.state_to_json(replayer.loaded.workflow), spec, subprocess_specs)
    problem = _first_difference(_snapshot(stored), _snapshot(replayed))
    return ReplayResult(problem is None, problem, replayer.loaded)
