"""Domain checks on a diagram before it is deployed (the engine runs them after its own): every
user task names a known form, says who may complete it (role and unit expressions) and sets a
known case status; every decision table answers every value it will be asked (A/B/C at least);
and the diagram keeps the contract with the code (`contract`): its published steps are there with
their forms, it ends only on end events that are case statuses, and every variable the code reads
is set somewhere. Each problem names its element."""
import ast
import itertools
import math

from engine.deployments import Problem, all_task_specs, lint_table
from engine.sandbox import SandboxViolation, compile_checked

from ..cases.statuses import END_STATUS, OPEN_STATUSES
from ..worklist.forms import FORMS
from . import contract, decisions


def _user_tasks(spec, subprocess_specs):
    for ts in all_task_specs(spec, subprocess_specs):
        if getattr(ts, "manual", False) and getattr(ts, "bpmn_id", None) is not None:
            yield ts


def check_user_tasks(spec, subprocess_specs):
    """Every user task: a known form, role and unit expressions that compile, a known case status."""
    problems = []
    for ts in _user_tasks(spec, subprocess_specs):
        props = contract.step_properties(ts)
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
        if ts.bpmn_id not in contract.PARALLEL_STEPS and props.get("status") not in OPEN_STATUSES:
            problems.append(Problem(None, ts.bpmn_id, None, f"user task sets case status {props.get('status')!r}; "
                                                            f"known statuses: {', '.join(OPEN_STATUSES)}"))
    return problems


def check_steps(spec, subprocess_specs):
    """The published steps of the process (`contract.PUBLISHED_STEPS`) are user tasks naming their
    form, and the process has the end events a case ends on (`END_STATUS`: the case's status)."""
    problems = []
    users = {ts.bpmn_id: ts for ts in _user_tasks(spec, subprocess_specs)}
    for step, form in contract.PUBLISHED_STEPS.get(spec.name, {}).items():
        if step not in users:
            problems.append(Problem(None, spec.name, None, f"the published step {step} is missing: a case process "
                                                           f"{spec.name} must keep it as a user task"))
        elif contract.step_properties(users[step]).get("form") in FORMS.keys() - {form}:   # unknown: said above
            problems.append(Problem(None, step, None, f"the published step {step} must name the form {form!r}"))
    if spec.name in contract.PUBLISHED_STEPS:
        ends = {ts.bpmn_id for ts in spec.task_specs.values() if type(ts).__name__ == "EndEvent"}
        for end in END_STATUS:
            if end not in ends:
                problems.append(Problem(None, spec.name, None, f"the end event {end} is missing: a case of "
                                                               f"{spec.name} must be able to end as {END_STATUS[end]}"))
    return problems


def _assigned(source, mode="exec"):
    """The variable names a script or expression assigns."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def written_variables(spec, subprocess_specs):
    """Every variable the diagram can set: start data, scripts, decision table outputs, service
    results and the fields of its user tasks' forms."""
    found = set(contract.START_DATA)
    for ts in all_task_specs(spec, subprocess_specs):
        for attribute in ("script", "prescript", "postscript"):
            if getattr(ts, attribute, None):
                found |= _assigned(getattr(ts, attribute))
        table = getattr(getattr(ts, "dmnEngine", None), "decision_table", None)
        if table is not None:
            found |= {o.name for o in table.outputs if o.name}
        if getattr(ts, "result_variable", None):
            found.add(ts.result_variable)
        if getattr(ts, "manual", False):
            schema = FORMS.get(contract.step_properties(ts).get("form"))
            if schema is not None:
                found |= set(schema().fields)
    return found


def check_contract(spec, subprocess_specs):
    """The diagram sets every variable the code requires (`contract.VARIABLES`); named on the process."""
    written = written_variables(spec, subprocess_specs)
    return [Problem(None, spec.name, None, f"the diagram never sets {v.name} ({v.means}), which the code reads")
            for v in contract.VARIABLES.values() if v.required and v.name not in written]


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
    """Every table keyed on variables of COVERAGE answers every combination of their values (a table
    keyed on category and urgency: each category, those of COVERAGE and those it names, with each
    urgency)."""
    problems = []
    for ts in all_task_specs(spec, subprocess_specs):
        table = getattr(getattr(ts, "dmnEngine", None), "decision_table", None)
        if table is None or lint_table(ts, table):   # cells that fail the sandbox are reported, not run
            continue
        keyed = sorted({v for i in table.inputs for v in _variables(i.expression or "") if v in COVERAGE})
        if not keyed:
            continue
        values = {v: _asked(table, v) for v in keyed}
        asked = [dict(zip(keyed, combination)) for combination in itertools.product(*(values[v] for v in keyed))]
        try:
            unanswered = [data for data in asked if not decisions.ask(ts, data)]
        except Exception as exc:   # a broken cell: report it on the element, whatever it raised
            problems.append(Problem(None, ts.bpmn_id, None, f"decision table: {exc}"))
            continue
        problems.extend(Problem(None, ts.bpmn_id, None, f"decision table has no rule for {said}")
                        for said in _unanswered(values, unanswered))
    return problems


def _asked(table, variable):
    """The values of COVERAGE for `variable`, and those the table's own rules name in a column of
    that variable alone (a table with rules for some categories is asked each of them too)."""
    found = list(COVERAGE[variable])
    for rule in table.rules:
        for entry in rule.inputEntries:
            if (entry.input.expression or "").strip() != variable:
                continue
            for text in entry.lhs:
                try:
                    value = ast.literal_eval(text) if text else None
                except (ValueError, SyntaxError):
                    continue
                if isinstance(value, str) and value not in found:
                    found.append(value)
    return found


def _unanswered(values, unanswered):
    """What the unanswered combinations have in common, said shortly: `urgency = 'C'` when no
    combination with C is answered, else each combination (`category = '100102', urgency = 'C'`)."""
    said, left = [], list(unanswered)
    for variable in values:
        combinations = math.prod(len(values[v]) for v in values if v != variable)
        for value in values[variable]:
            if sum(d[variable] == value for d in unanswered) == combinations:
                said.append(f"{variable} = {value!r}")
                left = [d for d in left if d[variable] != value]
    return said + [", ".join(f"{v} = {d[v]!r}" for v in values) for d in left]
