"""The restricted environment in which diagram expressions and scripts run.

Only registered functions and a small set of builtins are visible; imports, dunder names and
private attributes are refused when the code is compiled, so a diagram cannot reach `os` or walk
`().__class__.__subclasses__()`.
"""
import ast
import builtins
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

SAFE_BUILTINS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "isinstance", "len", "list",
    "map", "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip",
    "True", "False", "None", "ValueError", "KeyError",
)}


# Public attribute names that still reach outside: a generator's, coroutine's or traceback's frame
# leads through `f_back.f_globals` to any module (and so to the real builtins); str.format resolves
# "{0.__globals__}" at run time, past the check of the source.
FORBIDDEN_ATTRIBUTES = frozenset({
    "gi_frame", "gi_code", "ag_frame", "ag_code", "cr_frame", "cr_code", "tb_frame", "tb_next",
    "f_back", "f_builtins", "f_code", "f_globals", "f_locals", "format", "format_map",
})


class SandboxViolation(Exception):
    """Code that uses something the sandbox does not allow."""


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


@lru_cache(maxsize=4096)
def compile_checked(source, mode):
    """Compile an expression (mode 'eval') or script ('exec') after the sandbox check."""
    tree = ast.parse(source, mode=mode)
    _check(tree)
    return compile(tree, "<string>", mode)


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
        return eval(compile_checked(expression, "eval"), self._scope(context, external_context))

    def execute(self, script, context, external_context=None):
        scope = self._scope(context, external_context)
        exec(compile_checked(script, "exec"), scope)
        hidden = set(self.functions) | set(external_context or {}) | {"__builtins__"}
        for key in [k for k in context if k not in scope]:
            del context[key]
        context.update({k: v for k, v in scope.items() if k not in hidden and not callable(v)})
        return True

    def call_service(self, context, operation_name, operation_params, task_data):
        raise NotImplementedError("services are called by the script engine, not the environment")
