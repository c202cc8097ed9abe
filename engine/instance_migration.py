"""Moving running instances to another deployment (version), with SpiffWorkflow's diff and migrate
utilities. (The database schema's migrations are `schema`.)

An instance can move when no task that already ran (COMPLETED) or is running (STARTED) has its
element changed or removed in the target: what is waiting (READY, WAITING) is re-predicted on the
new diagram; its data and its timers' due times are kept (they are recomputed from the same data).
"""
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from . import instances, spiff

BLOCKING = TaskState.COMPLETED | TaskState.STARTED


@dataclass
class Check:
    instance_id: int
    ok: bool
    reasons: list = field(default_factory=list)


def _diffs(runtime, workflow, target):
    spec, subprocess_specs = runtime.specs(target)
    if spec.name != workflow.spec.name:
        return None, None, [f"the target deploys process {spec.name!r}, not {workflow.spec.name!r}"]
    top, subs = diff_workflow(spiff.SERIALIZER.registry, workflow, spec, subprocess_specs)
    reasons = []
    for name, diff in [("", top), *[(sp_id, d) for sp_id, d in subs.items()]]:
        if diff is None:
            reasons.append("a subprocess of the instance does not exist in the target")
            continue
        for task in diff.removed:
            if task.has_state(BLOCKING | TaskState.READY | TaskState.WAITING):
                reasons.append(f"{task.task_spec.bpmn_id or task.task_spec.name} "
                               f"({TaskState.get_name(task.state)}) is removed in the target")
        for task in diff.changed:
            if task.has_state(BLOCKING):
                reasons.append(f"{task.task_spec.bpmn_id or task.task_spec.name} "
                               f"({TaskState.get_name(task.state)}) is changed in the target")
    return top, subs, sorted(set(reasons))


def check(loaded, runtime, target) -> Check:
    """Can this loaded instance move to `target`? (nothing is changed)"""
    if loaded.deployment.id == target.id:
        return Check(loaded.id, False, ["already on this version"])
    _, _, reasons = _diffs(runtime, loaded.workflow, target)
    return Check(loaded.id, not reasons, reasons)


def apply(loaded, runtime, target):
    """Move the workflow onto the target's specs (in memory) and run it until it waits again."""
    top, subs, reasons = _diffs(runtime, loaded.workflow, target)
    if reasons:
        raise instances.Conflict("; ".join(reasons))
    spec, subprocess_specs = runtime.specs(target)
    workflow = loaded.workflow
    migrate_workflow(top, workflow, spec)
    workflow.subprocess_specs = subprocess_specs
    for sp_id, diff in subs.items():
        sub = workflow.subprocesses[sp_id]
        migrate_workflow(diff, sub, subprocess_specs[sub.spec.name])
    spiff.forget_task_dicts(workflow)
    loaded.ran()
    workflow.do_engine_steps()


def migrate(session, runtime, instance_id, target, *, actor):
    """Move one instance to `target`, as one unit of work, recorded as a `migrated` event."""
    loaded = instances.load(session, runtime, instance_id, actor=actor)
    source = loaded.deployment
    result = check(loaded, runtime, target)
    if not result.ok:
        raise instances.Conflict("; ".join(result.reasons))
    apply(loaded, runtime, target)
    loaded.instance.deployment_id = target.id
    loaded.deployment = target
    loaded.new_events.append(dict(kind="migrated", step=None,
                                  data={"from": source.id, "to": target.id, "to_hash": target.hash}))
    instances.save(session, runtime, loaded)
    return loaded
