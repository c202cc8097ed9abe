"""Reading what a version's decision tables answer, for those who show or use it: the accept
form's hint (how many working days A, B and C get, for the case's category), the catalogue's
limits and default units per category, and the evaluation's rules (weights, base score, grades),
so that no number a table owns is repeated in code."""
from threading import Lock
from types import SimpleNamespace

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from engine import deployments, spiff
from engine.deployments import all_task_specs
from engine.scripting import ScriptEngine

from ..cases.forms import URGENCIES

_TABLES = {}
_TABLES_LOCK = Lock()


def probe(data):
    """A stand-in for a task holding `data`: the DMN engine reads a task's data and its workflow's
    script engine, nothing else."""
    script_engine = ScriptEngine(functions={}, services={}, clock=None, calendar=None, context=None)
    return SimpleNamespace(data=dict(data), workflow=SimpleNamespace(script_engine=script_engine))


def engine_of(decision_table):
    """The DMN engine of a parsed decision table."""
    return DMNEngine(decision_table)


def ask(table_or_task_spec, data):
    """What a decision table answers for `data` (a dict of its outputs, {} for no rule); given a
    business rule task's spec or a table of `table`."""
    engine = getattr(table_or_task_spec, "dmnEngine", table_or_task_spec)
    return engine.result(probe(data)) or {}


def table(deployment, decision_id):
    """The DMN engine of one decision of a version's files, called by a task or not (None when the
    version has no such decision); parsed once per version, from the stored XML."""
    key = (deployment.hash, decision_id)
    with _TABLES_LOCK:
        if key in _TABLES:
            return _TABLES[key]
    parser = spiff.Parser()
    for name, text in deployment.files.items():
        if name.endswith(".dmn"):
            parser.add_dmn_xml(spiff.parse_xml(text.encode("utf-8"), name), filename=name)
    found = deployments.decision_tables(parser).get(decision_id)
    engine = DMNEngine(found) if found is not None else None
    with _TABLES_LOCK:
        _TABLES[key] = engine
    return engine


# What a time-limit table may give, and in what: working days (the default process), or working
# hours (an emergency process's `time_limit_hours`).
LIMIT_OUTPUTS = {"time_limit": "个工作日", "time_limit_hours": "个工作小时"}


def time_limits(runtime, deployment, category=None) -> dict:
    """{urgency: limit} as the version's time-limit table answers for `category` (the first table
    that outputs a limit, in `limit_unit`; its rules for other categories do not apply to a case of
    none); {} when it has none."""
    return _limits(_time_limit_task(runtime, deployment), category)


def limit_unit(runtime, deployment) -> str:
    """What the version's limits count: 个工作日, or 个工作小时 for a table of working hours."""
    task_spec = _time_limit_task(runtime, deployment)
    return LIMIT_OUTPUTS[_limit_output(task_spec)] if task_spec is not None else LIMIT_OUTPUTS["time_limit"]


def _limit_output(task_spec):
    return next(o.name for o in task_spec.dmnEngine.decision_table.outputs if o.name in LIMIT_OUTPUTS)


def _limits(task_spec, category):
    if task_spec is None:
        return {}
    output = _limit_output(task_spec)
    return {u: ask(task_spec, {"urgency": u, "category": category or ""}).get(output) for u in URGENCIES}


def _time_limit_task(runtime, deployment):
    spec, subprocess_specs = runtime.specs(deployment)
    for ts in all_task_specs(spec, subprocess_specs):
        found = getattr(getattr(ts, "dmnEngine", None), "decision_table", None)
        if found is not None and any(o.name in LIMIT_OUTPUTS for o in found.outputs):
            return ts
    return None


_BY_CATEGORY = {}


def by_category(runtime, deployment, codes) -> dict:
    """{category: (limits, default unit)} for each of `codes` as the version's tables answer:
    limits as `time_limits` ({urgency: working days}), the unit the default-unit table suggests
    (None without one). Kept per version and set of codes: a version's tables never change."""
    codes = tuple(codes)
    key = (deployment.hash, codes)
    with _TABLES_LOCK:
        if key in _BY_CATEGORY:
            return _BY_CATEGORY[key]
    limits, units = _time_limit_task(runtime, deployment), table(deployment, "default_unit")
    found = {code: (_limits(limits, code),
                    ask(units, {"category": code}).get("default_unit") if units else None) for code in codes}
    with _TABLES_LOCK:
        _BY_CATEGORY[key] = found
    return found
