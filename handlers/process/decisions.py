"""Reading what a version's decision tables answer, for those who show it (the accept form's hint:
how many working days A, B and C get), so that the UI never repeats a number the table owns."""
from types import SimpleNamespace

from engine.deployments import all_task_specs
from engine.scripting import ScriptEngine

from ..cases.forms import URGENCIES


def ask(task_spec, data):
    """The answer of a business rule task's table for `data` (a dict of its outputs, {} for none)."""
    engine = ScriptEngine(functions={}, services={}, clock=None, calendar=None, context=None)
    # The DMN engine reads a task's data and its workflow's script engine, nothing else.
    probe = SimpleNamespace(data=dict(data), workflow=SimpleNamespace(script_engine=engine))
    return task_spec.dmnEngine.result(probe) or {}


def time_limits(runtime, deployment) -> dict:
    """{urgency: working days} as the version's time-limit table answers (the first table that
    outputs `time_limit`); {} when it has none."""
    spec, subprocess_specs = runtime.specs(deployment)
    for ts in all_task_specs(spec, subprocess_specs):
        table = getattr(getattr(ts, "dmnEngine", None), "decision_table", None)
        if table is not None and any(o.name == "time_limit" for o in table.outputs):
            return {u: ask(ts, {"urgency": u}).get("time_limit") for u in URGENCIES}
    return {}
