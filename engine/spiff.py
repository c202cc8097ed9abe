"""SpiffWorkflow adapted to our runtime: timers on an injected clock and business calendar,
a parser that builds them, a serializer that knows them and keeps specs out of instance state.

SpiffWorkflow 3.2 compares timers with `datetime.now()`; the subclasses here ask the workflow's
script engine instead (`script_engine.now()` and `script_engine.add_duration()`). Four of its inner
loops run on cheaper equivalents from the moment this module is imported (engine.spiff_speedups).
"""
import copy
from datetime import datetime, timezone
from types import ModuleType
from uuid import UUID

import orjson
from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import first
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter as SpiffTaskConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent, StartEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import spiff_speedups

spiff_speedups.install()

OCCURRENCE = "timer_occurrence"


def _parse_instant(value):
    return TimerEventDefinition.get_datetime(value)


def _iso(dt):
    return dt.astimezone(timezone.utc).isoformat()


def _fire(my_task, due):
    my_task._set_internal_data(event_fired=True)
    my_task.internal_data[OCCURRENCE] = {"timer": my_task.task_spec.bpmn_id, "at": due}


class ClockTimeDate(TimeDateEventDefinition):
    """timeDate: fires when the script engine's clock reaches the instant (inclusive)."""

    def has_fired(self, my_task):
        engine = my_task.workflow.script_engine
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = engine.evaluate(my_task, self.expression)
            if not isinstance(value, str):
                raise TypeError(f"timer {self.name!r}: timeDate must give an ISO string, got {type(value).__name__}")
            _parse_instant(value)  # refuse a malformed instant now, not at every sweep
            my_task._set_internal_data(event_value=value)
        if not my_task._get_internal_data("event_fired", False) and _parse_instant(value) <= engine.now():
            _fire(my_task, value)
        return my_task._get_internal_data("event_fired", False)


class ClockDuration(DurationTimerEventDefinition):
    """timeDuration: counted from the clock's now on the script engine's business calendar."""

    def has_fired(self, my_task):
        engine = my_task.workflow.script_engine
        value = my_task._get_internal_data("event_value")
        if value is None:
            expression = engine.evaluate(my_task, self.expression)
            value = _iso(engine.add_duration(engine.now(), expression))
            my_task._set_internal_data(event_value=value)
        if not my_task._get_internal_data("event_fired", False) and _parse_instant(value) <= engine.now():
            _fire(my_task, value)
        return my_task._get_internal_data("event_fired", False)


class ClockCycle(CycleTimerEventDefinition):
    """timeCycle `R[n]/start/period`: each period is added on the business calendar, and each
    firing's child is stamped with the occurrence it stands for."""

    def cycle_complete(self, my_task):
        engine = my_task.workflow.script_engine
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = self.initial_value(engine, engine.evaluate(my_task, self.expression))
        fired = None
        if value["cycles"] != 0:
            due = datetime.fromisoformat(value["next"])
            if due <= engine.now():
                fired = value["next"]
                value["next"] = _iso(engine.add_duration(due, value["period"]))
                value["cycles"] -= 1
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=value)
        return fired

    @staticmethod
    def initial_value(engine, expression):
        if not isinstance(expression, str):
            raise TypeError(f"timeCycle must give a string, got {type(expression).__name__}")
        parts = expression.upper().strip().split("/")
        if len(parts) != 3 or not parts[0].startswith("R") or not parts[2].startswith("P"):
            raise ValueError(f"timeCycle {expression!r}: expected R[n]/start/period")
        cycles = int(parts[0][1:]) if parts[0][1:] else -1
        start = _parse_instant(parts[1])
        engine.add_duration(start, parts[2])  # validates the period
        return {"cycles": cycles, "next": _iso(start), "period": parts[2], "duration": 0}

    def update_task(self, my_task):
        fired = self.cycle_complete(my_task)
        if fired is not None:
            for output in my_task.task_spec.outputs:
                child = my_task._add_child(output, TaskState.FUTURE)
                child.internal_data[OCCURRENCE] = {"timer": my_task.task_spec.bpmn_id, "at": fired}
                child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
                child.task_spec._update(child)


class _ClockTimerParser:
    """Mixin for event parsers: build our clocked timer definitions."""

    def parse_timer_event(self, event):
        try:
            description = self.get_event_description(event)
            name = self.node.get("name", self.node.get("id"))
            for tag, cls in (("timeDate", ClockTimeDate), ("timeDuration", ClockDuration), ("timeCycle", ClockCycle)):
                node = first(self.xpath(f".//bpmn:{tag}"))
                if node is not None:
                    return cls(name, (node.text or "").strip(), description=description)
            raise ValidationException("Unknown Time Specification", node=self.node, file_name=self.filename)
        except ValidationException:
            raise
        except Exception as exc:
            raise ValidationException("Time Specification Error. " + str(exc), node=self.node, file_name=self.filename)


class StartEventParser(_ClockTimerParser, SpiffStartEventParser):
    pass


class BoundaryEventParser(_ClockTimerParser, SpiffBoundaryEventParser):
    pass


class IntermediateCatchEventParser(_ClockTimerParser, SpiffIntermediateCatchEventParser):
    pass


class Parser(SpiffBpmnParser):
    """SpiffBpmnParser with clocked timers."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (StartEventParser, StartEvent),
        full_tag("boundaryEvent"): (BoundaryEventParser, BoundaryEvent),
        full_tag("intermediateCatchEvent"): (IntermediateCatchEventParser, IntermediateCatchEvent),
    }


# Untrusted XML: no entities, no DTD, no network, no huge trees.
SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def parse_xml(data: bytes, filename: str):
    """Parse uploaded XML safely; a DOCTYPE (the door to XXE and entity bombs) is refused."""
    root = etree.fromstring(data, parser=SAFE_XML)
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ValidationException("DOCTYPE declarations are not allowed", file_name=filename)
    return root


class TaskConverter(SpiffTaskConverter):
    """SpiffWorkflow 3.2's task converter with a cheaper restore, the same result: a task's data is
    stored as a delta from its parent's (the keys it changed, the keys it lacks), and the stock
    restore copied all of the parent's data and then deleted the missing keys again (for a
    predicted task: all of them), which was most of reading a case; here the missing keys are
    never copied. The ids are parsed once per state (`UUIDS`), not once per mention."""

    def from_dict(self, dct, workflow):
        ids = workflow.top_workflow.__dict__.get(_UUIDS)     # set while state_from_dict runs
        uuid = ids.__getitem__ if ids is not None else UUID
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=uuid(dct["id"]))
        task._parent = uuid(dct["parent"]) if dct["parent"] is not None else None
        task._children = [uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self.registry.restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        parent = task.parent
        if delta and parent is not None:
            # DeepMerge.merge({}, parent.data) minus the deletions: a shallow copy of each mutable value
            gone = set(delta.get("deletions", ()))
            data = {key: copy.copy(value) if isinstance(value, (dict, list, set)) else value
                    for key, value in parent.data.items() if key not in gone}
            data.update(self.registry.restore(delta.get("updates", {})))
        else:
            data = self.registry.restore(dct["data"])
        task.data = data
        return task


class _Ids(dict):
    """Text -> UUID, parsed on first use: a state names each task id three times or more."""

    def __missing__(self, text):
        value = self[text] = UUID(text)
        return value


_UUIDS = "_citygrid_uuids"


def make_serializer():
    config = copy.copy(SPIFF_CONFIG)
    for cls in (ClockTimeDate, ClockDuration, ClockCycle):
        config[cls] = TimerConditionalEventDefinitionConverter
    config[Task] = TaskConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


SERIALIZER = make_serializer()
# The converter SpiffWorkflow registered for BpmnWorkflow: we reuse its pieces to keep specs out of state.
_WORKFLOW_CONVERTER = SERIALIZER.registry.convert_to_dict["BpmnWorkflow"].args[1].__self__


def spec_to_dict(spec, subprocess_specs):
    """Specs as plain data, stored once per deployment."""
    registry = SERIALIZER.registry
    return {"spec": registry.convert(spec),
            "subprocess_specs": {name: registry.convert(s) for name, s in subprocess_specs.items()}}


def spec_from_dict(dct):
    registry = SERIALIZER.registry
    dct = copy.deepcopy(dct)  # restore() consumes what it is given
    return (registry.restore(dct["spec"]),
            {name: registry.restore(s) for name, s in dct["subprocess_specs"].items()})


FINISHED = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR
_TASK_DICTS = "_citygrid_task_dicts"


def _tasks_to_dict(workflow):
    """The tasks of one (sub)workflow as SpiffWorkflow's converter gives them; the dict of a
    finished task, and of a predicted one holding no data, is kept on the workflow object and
    reused while the task (and the predicted one's parent's keys) is unchanged: they are most of a
    case's tasks, and converting them again was a quarter of every step (the predicted ones, 40%
    of what was left)."""
    registry, cache = SERIALIZER.registry, workflow.__dict__.setdefault(_TASK_DICTS, {})
    out = {}
    for task_id, task in workflow.tasks.items():
        stamp = _stamp(task)
        if stamp is None:
            out[str(task_id)] = registry.convert(task)
            continue
        hit = cache.get(task_id)
        if hit is None or hit[0] != stamp:      # (stamp, the id as text, the dict)
            hit = cache[task_id] = (stamp, str(task_id), registry.convert(task))
        out[hit[1]] = hit[2]
    return out


def _stamp(task):
    """What a kept dict of `task` is valid for (its converted dict changes only with it), or None
    when its dict is not kept: a finished task, and a predicted one holding no data (most of the
    others: its dict is its parent's keys as deletions, and changes with them)."""
    if task.state & FINISHED:
        return (task.state, task.last_state_change, tuple(task._children))
    if not task.data and not task.internal_data and task.parent is not None:
        return (task.state, task.last_state_change, tuple(task._children), task.triggered, tuple(task.parent.data))
    return None


def forget_task_dicts(workflow):
    """Call after changing the data of finished tasks (their kept dicts would be stale)."""
    for wf in (workflow, *workflow.subprocesses.values()):
        wf.__dict__.pop(_TASK_DICTS, None)


def _workflow_dict(workflow):
    # The fields of SpiffWorkflow 3.2's WorkflowConverter.to_dict, with the tasks from the cache.
    registry = SERIALIZER.registry
    return {
        "data": registry.convert(registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": _tasks_to_dict(workflow),
        "root": str(workflow.task_tree.id),
    }


def state_to_dict(workflow):
    """The instance state without its specs (they live with the deployment)."""
    dct = _workflow_dict(workflow)
    subprocesses = {}
    for sp_id, sub in workflow.subprocesses.items():
        sub_dct = _workflow_dict(sub)
        sub_dct.update(parent_task_id=str(sub.parent_task_id), spec=sub.spec.name,
                       typename=SERIALIZER.registry.typenames[type(sub)])
        subprocesses[str(sp_id)] = sub_dct
    dct["subprocesses"] = subprocesses
    dct["bpmn_events"] = SERIALIZER.registry.convert(workflow.bpmn_events)
    return dct


def _leftover(obj):
    """What SpiffWorkflow's own JSON encoder does for objects its registry left unconverted."""
    registry = SERIALIZER.registry
    typename = registry.typenames.get(type(obj))
    if typename is not None:
        return registry.convert_to_dict[typename](obj)
    if callable(obj) or isinstance(obj, ModuleType):
        return None
    if isinstance(obj, set):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def state_to_json(workflow):
    """Instance state as JSON text (orjson: this runs on every step)."""
    registry = SERIALIZER.registry
    registry._encoder_mode = True
    try:
        return orjson.dumps(state_to_dict(workflow), default=_leftover, option=orjson.OPT_NON_STR_KEYS).decode()
    finally:
        registry._encoder_mode = False


def state_from_json(text, spec, subprocess_specs):
    return state_from_dict(orjson.loads(text), spec, subprocess_specs)


def state_from_dict(dct, spec, subprocess_specs):
    """Rebuild a workflow from stored state on an already-restored, shared spec."""
    registry = SERIALIZER.registry
    converter = _WORKFLOW_CONVERTER
    workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
    ids = workflow.__dict__[_UUIDS] = _Ids()
    try:
        workflow.tasks = converter.mapping_from_dict(dct["tasks"], ids.__getitem__, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(ids[dct["root"]])
        converter.set_default_attributes(workflow, dct)
        sub_tasks = {sp_id: sub_dct["tasks"] for sp_id, sub_dct in dct["subprocesses"].items()}
        converter.subprocesses_from_dict(dct["subprocesses"], workflow)    # (takes its entries out)
        _keep_task_dicts(workflow, dct["tasks"], ids)
        for sp_id, task_dicts in sub_tasks.items():
            if ids[sp_id] in workflow.subprocesses:
                _keep_task_dicts(workflow.subprocesses[ids[sp_id]], task_dicts, ids)
    finally:
        del workflow.__dict__[_UUIDS]
    workflow.bpmn_events = registry.restore(dct.pop("bpmn_events", []))
    return workflow


def _keep_task_dicts(workflow, task_dicts, ids):
    """Keep the stored dict of each task whose dict `_tasks_to_dict` keeps (finished, or predicted
    holding no data) as it keeps the ones it made: the next save writes it again as it was read
    while the task is unchanged, instead of converting the task once more (a stored dict is what
    converting the task gave at the last save)."""
    cache = workflow.__dict__.setdefault(_TASK_DICTS, {})
    for text, dct in task_dicts.items():
        task = workflow.tasks.get(ids[text])
        stamp = _stamp(task) if task is not None else None
        if stamp is not None:
            cache[task.id] = (stamp, text, dct)
