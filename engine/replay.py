"""Replay: re-run an instance's recorded inputs on its pinned deployment in simulated time and
compare the result with the stored state."""
import json
from dataclasses import dataclass

from SpiffWorkflow.util.task import TaskState

from . import events, instances, spiff
from .models import Deployment, Instance
from .scripting import FixedClock


@dataclass
class ReplayResult:
    ok: bool
    problem: str | None = None


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


def replay_instance(session, runtime, instance_id) -> ReplayResult:
    """Re-run the recorded inputs (start, completions, timer firings, external data changes)."""
    instance = session.get(Instance, instance_id)
    deployment = session.get(Deployment, instance.deployment_id)
    clock = FixedClock(instance.created_at)
    twin = runtime.with_clock(clock)
    loaded = None
    for event in events.get_stream(session, events.instance_stream(instance_id)):
        clock.instant = event.at
        if event.kind == "started":
            loaded = instances.start(session, twin, deployment=deployment, data=event.data["data"],
                                     actor=event.actor, replay=True)
        elif loaded is None:
            return ReplayResult(False, f"event #{event.seq} ({event.kind}) comes before the start")
        elif event.kind == "task_completed":
            loaded.context.at = event.at
            loaded.workflow.script_engine = twin.script_engine(loaded.context)
            ready = [t for t in loaded.ready_user_tasks() if t.task_spec.bpmn_id == event.step]
            if not ready:
                return ReplayResult(False, f"event #{event.seq}: no open {event.step} task when replayed")
            instances.complete_task(loaded, ready[0], event.data["form"])
        elif event.kind == "timers_fired":
            loaded.context.at = event.at
            loaded.workflow.script_engine = twin.script_engine(loaded.context)
            fired = instances.fire_due_timers(loaded)
            recorded = [(t["timer"], t["occurrence"]) for t in event.data["timers"]]
            if [list(f) for f in fired] != [list(r) for r in recorded]:
                return ReplayResult(False, f"event #{event.seq}: replay fired {fired}, stored {recorded}")
        elif event.kind == "data_changed" and event.data.get("external"):
            instances.update_data(loaded, event.data["after"], reason=event.data["reason"], external=True)
    if loaded is None:
        return ReplayResult(False, "no start event")
    spec, subprocess_specs = runtime.specs(deployment)
    stored = spiff.state_from_dict(json.loads(instance.state), spec, subprocess_specs)
    # Through the same JSON round trip as the stored state, so that only content is compared.
    replayed = spiff.state_from_dict(json.loads(json.dumps(spiff.state_to_dict(loaded.workflow))),
                                     spec, subprocess_specs)
    problem = _first_difference(_snapshot(stored), _snapshot(replayed))
    return ReplayResult(problem is None, problem)
