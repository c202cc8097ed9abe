"""A case's history as people read it: the timeline (its instance's event stream) and the
deployed diagram with the path taken so far and the current steps, read from the stored
instance state without changing anything."""
import json
from dataclasses import dataclass, field
from threading import Lock

from lxml import etree
from SpiffWorkflow.util.task import TaskState

from engine import events, sources, spiff
from engine.models import Deployment, Instance

_NAMES = {}
_NAMES_LOCK = Lock()
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass
class Diagram:
    """The BPMN XML a case runs on and what to mark on it (element ids)."""

    filename: str
    xml: str
    completed: list = field(default_factory=list)   # elements finished at least once
    active: list = field(default_factory=list)      # open user tasks and running sub-processes
    waiting: list = field(default_factory=list)     # timers and events still waiting
    flows: list = field(default_factory=list)       # [source id, target id] pairs of sequence flows taken
    last: str | None = None                          # the element finished most recently


def timeline(session, case):
    """The case's events, oldest first (engine.models.Event rows)."""
    return events.get_stream(session, events.instance_stream(case.instance_id))


def deployment_of(session, case):
    instance = session.get(Instance, case.instance_id)
    return session.get(Deployment, instance.deployment_id) if instance else None


def main_bpmn(deployment):
    """(filename, xml) of the deployed file whose parsed XML defines the deployment's process
    (a process element with that id, never a text match); (None, None) when none does."""
    name = sources.defining_file(deployment.files, deployment.process_id)
    return (name, deployment.files[name]) if name else (None, None)


def element_names(deployment):
    """{element id: name} of every named element in the deployment's BPMN files (cached per deployment)."""
    with _NAMES_LOCK:
        found = _NAMES.get(deployment.hash)
    if found is None:
        found = {}
        for name, xml in deployment.files.items():
            if not name.endswith(".bpmn"):
                continue
            root = etree.fromstring(xml.encode("utf-8"), _PARSER)
            for element in root.iter():
                if isinstance(element.tag, str) and element.get("id") and element.get("name"):
                    found[element.get("id")] = element.get("name")
        with _NAMES_LOCK:
            _NAMES[deployment.hash] = found
    return found


def _named_ancestor(task):
    node = task.parent
    while node is not None and not node.task_spec.bpmn_id:
        node = node.parent
    return node


def diagram(session, runtime, case) -> Diagram | None:
    """The case's diagram and its marks; None when its deployment has no BPMN file.

    The workflow is rebuilt from the stored state for reading only: it is never saved and does not
    touch the engine's workflow cache.
    """
    instance = session.get(Instance, case.instance_id)
    if instance is None:
        return None
    deployment = session.get(Deployment, instance.deployment_id)
    spec, subprocess_specs = runtime.specs(deployment)
    workflow = spiff.state_from_dict(json.loads(instance.state), spec, subprocess_specs)
    return diagram_of(workflow, deployment)


def diagram_of(workflow, deployment) -> Diagram | None:
    """The deployment's diagram marked with a workflow's state (the stored one, or one rebuilt by
    a replay up to an earlier event); None when the deployment has no BPMN file."""
    filename, xml = main_bpmn(deployment)
    if xml is None:
        return None
    completed, active, waiting, flows = set(), set(), set(), set()
    last = None
    for task in workflow.get_tasks(state=TaskState.COMPLETED | TaskState.READY | TaskState.STARTED
                                   | TaskState.WAITING):
        bpmn_id = task.task_spec.bpmn_id
        if not bpmn_id:
            continue
        if task.state == TaskState.COMPLETED:
            completed.add(bpmn_id)
            if last is None or task.last_state_change >= last.last_state_change:
                last = task
        elif task.state == TaskState.WAITING and not task.task_spec.manual:
            waiting.add(bpmn_id)
        else:
            active.add(bpmn_id)
        if task.state in (TaskState.COMPLETED, TaskState.READY, TaskState.STARTED):
            parent = _named_ancestor(task)
            if parent is not None and parent.state == TaskState.COMPLETED:
                flows.add((parent.task_spec.bpmn_id, bpmn_id))
    return Diagram(filename=filename, xml=xml, completed=sorted(completed), active=sorted(active),
                   waiting=sorted(waiting - completed), flows=sorted(list(pair) for pair in flows),
                   last=last.task_spec.bpmn_id if last is not None else None)
