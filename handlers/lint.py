"""Domain checks on a diagram before it is deployed: every user task names a known form and says
who may complete it (role and unit expressions); every decision table answers every value it will
be asked (A/B/C at least)."""
import ast
from types import SimpleNamespace

from engine.deployments import Problem, all_task_specs, lint_table
from engine.sandbox import SandboxViolation, compile_checked
from engine.scripting import ScriptEngine

from .forms import FORMS


def check_user_tasks(spec, subprocess_specs):
    problems = []
    for ts in all_task_specs(spec, subprocess_specs):
        if not getattr(ts, "manual", False) or getattr(ts, "bpmn_id", None) is None:
            continue
        props = getattr(ts, "extensions", {}).get("properties", {})
        form = props.get("form")
        if form not in FORMS:
            problems.append(Problem(None, ts.bpmn_id, None,
                                    f"user task names form {form!r}; known forms: {', '.join(sorted(FORMS))}"))
        for key in ("role", "unit"):
            if not props.get(key):
                problems.append(Problem(None, ts.bpmn_id, None, f"user task has no {key!r} property"))
                continue
            try:
                compile_checked(props[key], "eval")
            except (SyntaxError, SandboxViolation) as exc:
                problems.append(Problem(None, ts.bpmn_id, None, f"{key} expression: {exc}"))
    return problems


# The values a decision table keyed on each variable will be asked, which it must all answer.
COVERAGE = {
    "urgency": ("A", "B", "C"),
    "penalty_reason": ("overdue", "overdue_day", "rework"),
    "category": ("100102", "200115", "200509", "100401"),
}


def _variables(expression):
    try:
        return {n.id for n in ast.walk(ast.parse(expression, mode="eval")) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


def check_decision_tables(spec, subprocess_specs):
    """Every table keyed on a variable of COVERAGE answers every value that variable takes."""
    problems = []
    engine = ScriptEngine(functions={}, services={}, clock=None, calendar=None, context=None)
    for ts in all_task_specs(spec, subprocess_specs):
        table = getattr(getattr(ts, "dmnEngine", None), "decision_table", None)
        if table is None or lint_table(ts, table):   # cells that fail the sandbox are reported, not run
            continue
        keyed = {v for i in table.inputs for v in _variables(i.expression or "") if v in COVERAGE}
        for variable in sorted(keyed):
            for value in COVERAGE[variable]:
                # The DMN engine reads a task's data and its workflow's script engine, nothing else.
                probe = SimpleNamespace(data={variable: value}, workflow=SimpleNamespace(script_engine=engine))
                try:
                    answer = ts.dmnEngine.result(probe)
                except Exception as exc:   # a broken cell: report it on the element, whatever it raised
                    problems.append(Problem(None, ts.bpmn_id, None, f"decision table: {exc}"))
                    break
                if not answer:
                    problems.append(Problem(None, ts.bpmn_id, None,
                                            f"decision table has no rule for {variable} = {value!r}"))
    return problems
