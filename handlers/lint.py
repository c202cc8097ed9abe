"""Domain checks on a diagram before it is deployed: every user task names a known form and says
who may complete it (role and unit expressions)."""
from engine.deployments import Problem, all_task_specs
from engine.sandbox import SandboxViolation, compile_checked

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
