"""The restricted environment in which diagram expressions and scripts run.

Only registered functions and a small set of builtins are visible; imports, dunder names and
private attributes are refused when the code is compiled, so a diagram cannot reach `os` or walk
`().__class__.__subclasses__()`. Run time is bounded: `while` loops and large powers are refused
when compiled, `range` is capped, and every run of code that can repeat lines (loops,
comprehensions, functions of its own) has a budget of executed lines.
"""
import ast
import builtins
import sys
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

MAX_RANGE = 100_000
LINE_BUDGET = 200_000      # lines and calls of diagram code per evaluation


class SandboxViolation(Exception):
    """Code that uses something the sandbox does not allow."""


class SandboxTimeout(SandboxViolation):
    """Diagram code ran longer than its budget."""


def _bounded_range(*args):
    bounded = range(*args)
    if len(bounded) > MAX_RANGE:
        raise SandboxViolation(f"range of {len(bounded)} items is over the limit of {MAX_RANGE}")
    return bounded


SAFE_BUILTINS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "isinstance", "len", "list",
    "map", "max", "min", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip",
    "True", "False", "None", "ValueError", "KeyError",
)}
SAFE_BUILTINS["range"] = _bounded_range


# Public attribute names that still reach outside: a generator's, coroutine's or traceback's frame
# leads through `f_back.f_globals` to any module (and so to the real builtins); str.format resolves
# "{0.__globals__}" at run time, past the check of the source.
FORBIDDEN_ATTRIBUTES = frozenset({
    "gi_frame", "gi_code", "ag_frame", "ag_code", "cr_frame", "cr_code", "tb_frame", "tb_next",
    "f_back", "f_builtins", "f_code", "f_globals", "f_locals", "format", "format_map",
})


def _check(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise SandboxViolation("imports are not allowed")
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            raise SandboxViolation("global/nonlocal are not allowed")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise SandboxViolation(f"access to the private attribute {node.attr!r} is not allowed")
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            raise SandboxViolation(f"access to the attribute {node.attr!r} is not allowed")
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise SandboxViolation(f"the name {node.id!r} is not allowed")
        if isinstance(node, ast.While):
            raise SandboxViolation("while loops are not allowed (loop over data or a range)")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not (
                isinstance(node.right, ast.Constant) and isinstance(node.right.value, (int, float))
                and abs(node.right.value) <= 100):
            raise SandboxViolation("powers are allowed only with a literal exponent up to 100")


def compile_checked(source, mode):
    """Compile an expression (mode 'eval') or script ('exec') after the sandbox check."""
    return _compiled(source, mode)[0]


# What lets diagram code run more lines than it has: a loop, a comprehension, a function of its own.
_REPEATING = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
              ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


@lru_cache(maxsize=4096)
def _compiled(source, mode):
    """(the checked code, whether it is straight: runs each of its lines at most once). Straight
    code (no loop, comprehension or function of its own) cannot spend the line budget (the
    registered functions and builtins it calls run untraced in any case), so it runs without the
    tracer, which cost about 2% of a persisted step for the one-line conditions and assignments of
    a case's diagrams."""
    tree = ast.parse(source, mode=mode)
    _check(tree)
    straight = not any(isinstance(node, _REPEATING) for node in ast.walk(tree))
    return compile(tree, "<string>", mode), straight


class _budget:
    """Count the lines and calls of diagram code (frames compiled from "<string>") on this thread;
    past LINE_BUDGET raise SandboxTimeout. Registered functions run untraced, at full speed."""

    def __enter__(self):
        self.previous, self.count = sys.gettrace(), 0
        sys.settrace(self._global)

    def __exit__(self, *exc):
        sys.settrace(self.previous)

    def _global(self, frame, event, arg):
        if frame.f_code.co_filename != "<string>":
            return None
        return self._local(frame, event, arg)

    def _local(self, frame, event, arg):
        self.count += 1
        if self.count > LINE_BUDGET:
            raise SandboxTimeout(f"diagram code ran more than {LINE_BUDGET} steps")
        return self._local


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates on the task's data with only `functions` and SAFE_BUILTINS in scope."""

    def __init__(self, functions):
        super().__init__(dict(functions))
        self.functions = dict(functions)

    def _scope(self, context, external_context):
        scope = dict(self.functions)
        scope.update(external_context or {})
        scope.update(context)
        scope["__builtins__"] = SAFE_BUILTINS
        return scope

    def evaluate(self, expression, context, external_context=None):
        code, straight = _compiled(expression, "eval")
        if straight:
            return eval(code, self._scope(context, external_context))
        with _budget():
            return eval(code, self._scope(context, external_context))

    def execute(self, script, context, external_context=None):
        scope = self._scope(context, external_context)
        code, straight = _compiled(script, "exec")
        if straight:
            exec(code, scope)
        else:
            with _budget():
                exec(code, scope)
        hidden = set(self.functions) | set(external_context or {}) | {"__builtins__"}
        for key in [k for k in context if k not in scope]:
            del context[key]
        context.update({k: v for k, v in scope.items() if k not in hidden and not callable(v)})
        return True

    def call_service(self, context, operation_name, operation_params, task_data):
        raise NotImplementedError("services are called by the script engine, not the environment")
