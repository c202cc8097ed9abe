"""engine.sandbox: diagram expressions and scripts see the task data, the registered functions and a
few builtins, nothing else; what the sandbox refuses never reaches the task data."""
import copy

import pytest

from engine.sandbox import SAFE_BUILTINS, SandboxEnvironment, SandboxViolation, compile_checked


def double(x):
    return 2 * x


@pytest.fixture
def env():
    return SandboxEnvironment({"double": double})


@pytest.fixture
def data():
    return {"values": [1, 2, 3], "factor": 10, "unit": "350203", "nested": {"k": "v"}}


# --- what works --------------------------------------------------------------------------------

def test_expressions_see_task_data_registered_functions_and_safe_builtins(env, data):
    assert env.evaluate("double(factor) + len(values)", data) == 23
    assert env.evaluate("sorted(values, reverse=True)[0]", data) == 3
    assert env.evaluate("unit[:6] == '350203' and isinstance(nested, dict)", data) is True
    assert env.evaluate("f'{unit}-{factor}'", data) == "350203-10"
    assert env.evaluate("x + y", data, {"x": 1, "y": 2}) == 3        # external context (DMN inputs)


def test_comprehensions_and_lambdas_see_task_data(env, data):
    assert env.evaluate("[v * factor for v in values]", data) == [10, 20, 30]
    assert env.evaluate("{k: unit for k in nested}", data) == {"k": "350203"}
    assert env.evaluate("sum(double(v) * factor for v in values)", data) == 120
    assert env.evaluate("list(map(lambda v: v + factor, values))", data) == [11, 12, 13]


def test_a_script_writes_its_variables_into_the_task_data_and_nothing_else(env, data):
    script = (
        "def scaled(v):\n"
        "    return double(v) * factor\n"
        "result = [scaled(v) for v in values]\n"
        "total = sum(v for v in result if v > factor)\n"
        "del unit\n"
    )
    assert env.execute(script, data) is True
    assert data == {"values": [1, 2, 3], "factor": 10, "nested": {"k": "v"}, "result": [20, 40, 60], "total": 120}
    # the script's own function, the registered functions and the builtins stay out of the data
    assert not {"scaled", "double", "__builtins__"} & set(data)


def test_a_script_cannot_shadow_a_registered_function_into_the_data(env, data):
    env.execute("double = 5\nkept = double", data)
    assert data["kept"] == 5 and "double" not in data
    assert env.evaluate("double(2)", {}) == 4                          # the registry is untouched


# --- what is refused ---------------------------------------------------------------------------

REFUSED_WHEN_COMPILED = [
    "__import__('os')",
    "__import__('os').system('true')",
    "().__class__.__subclasses__()",
    "().__class__.__base__.__subclasses__()",
    "values.__class__",
    "double.__globals__",
    "double.__code__",
    "nested._private",
    "__builtins__",
    "__builtins__['open']",
    "[c for c in ().__class__.__mro__]",
    # frames of generators, coroutines and tracebacks lead to every module's globals
    "[(g := (g.gi_frame.f_back.f_back.f_globals for _ in [0])), list(g)][1]",
    "(v for v in values).gi_frame",
    "(v for v in values).gi_code",
    # str.format resolves attribute names at run time, past the check of the source
    "'{0.__globals__}'.format(double)",
    "str.format('{0.__class__}', 1)",
    "'{x.__class__}'.format_map({'x': 1})",
]

FORBIDDEN_STATEMENTS = [
    "import os",
    "import os as o",
    "from os import path",
    "from . import secrets",
    "global factor\nfactor = 0",
    "def f():\n    nonlocal x\n",
    "def f():\n    yield g.gi_frame.f_back\ng = f()\nframe = list(g)[0]\n"
    "b = frame.f_back.f_globals['builtins']\nhost = b.open('/etc/hostname').read()",
    "try:\n    1 / 0\nexcept ValueError as e:\n    tb = e.__traceback__\n",
    "async def f():\n    return 1\nc = f().cr_frame",
]

# Compile fine (plain names), but those names do not exist in the sandbox.
UNKNOWN_NAMES = [
    "open('/etc/passwd').read()",
    "getattr((), '__class__')",
    "getattr(double, '__glob' + 'als__')",
    "globals()",
    "locals()",
    "vars(double)",
    "dir()",
    "eval('1 + 1')",
    "exec('x = 1')",
    "compile('1', 's', 'eval')",
    "type(values)",
    "object.__subclasses__",   # refused earlier: private attribute
    "breakpoint()",
    "help()",
    "input()",
]


@pytest.mark.parametrize("source", REFUSED_WHEN_COMPILED)
def test_refused_when_compiled_as_expression_and_in_a_script(env, data, source):
    before = copy.deepcopy(data)
    with pytest.raises(SandboxViolation):
        compile_checked(source, "eval")
    with pytest.raises(SandboxViolation):
        env.evaluate(source, data)
    with pytest.raises(SandboxViolation):
        env.execute(f"leak = 1\nstolen = {source}", data)
    assert data == before


@pytest.mark.parametrize("source", FORBIDDEN_STATEMENTS)
def test_forbidden_statements_are_refused_in_scripts(env, data, source):
    before = copy.deepcopy(data)
    with pytest.raises(SandboxViolation):
        compile_checked(source, "exec")
    with pytest.raises(SandboxViolation):
        env.execute(source, data)
    assert data == before


@pytest.mark.parametrize("source", UNKNOWN_NAMES)
def test_dangerous_builtins_are_not_there(env, data, source):
    before = copy.deepcopy(data)
    with pytest.raises((NameError, SandboxViolation)):
        env.evaluate(source, data)
    with pytest.raises((NameError, SandboxViolation)):
        env.execute(f"leak = 1\nstolen = {source}", data)
    assert data == before                          # the half-run script changed nothing


def test_the_safe_builtins_are_only_harmless_ones():
    assert not {"open", "eval", "exec", "compile", "getattr", "setattr", "delattr", "globals", "locals",
                "vars", "dir", "type", "object", "__import__", "breakpoint", "input", "help",
                "memoryview", "super", "classmethod", "property"} & set(SAFE_BUILTINS)


def test_a_refused_script_is_refused_every_time(env):
    # compile_checked is cached: a refusal must not be cached as a success
    for _ in range(3):
        with pytest.raises(SandboxViolation):
            env.execute("import os", {})


def test_a_violation_names_what_was_refused():
    with pytest.raises(SandboxViolation, match="'__import__'"):
        compile_checked("__import__('os')", "eval")
    with pytest.raises(SandboxViolation, match="'__class__'"):
        compile_checked("().__class__", "eval")
    with pytest.raises(SandboxViolation, match="imports"):
        compile_checked("import os", "exec")


# --- bounded run time ----------------------------------------------------------------------------

@pytest.mark.parametrize("source, mode", [
    ("while True:\n    pass", "exec"),
    ("x = 0\nwhile x < 10:\n    x += 1", "exec"),
    ("2 ** 10 ** 10", "eval"),
    ("factor ** factor", "eval"),
    ("10 ** 101", "eval"),
])
def test_unbounded_loops_and_powers_are_refused_when_compiled(source, mode):
    with pytest.raises(SandboxViolation):
        compile_checked(source, mode)


def test_ranges_are_capped_and_long_runs_stopped(env, data):
    import sys
    from engine.sandbox import LINE_BUDGET, MAX_RANGE, SandboxTimeout
    tracer = sys.gettrace()                                  # e.g. a debugger's or coverage's
    assert env.evaluate(f"len(range({MAX_RANGE}))", data) == MAX_RANGE
    assert env.evaluate("2 ** 100", data) == 2 ** 100
    before = copy.deepcopy(data)
    with pytest.raises(SandboxViolation, match="range"):
        env.evaluate(f"len(range({MAX_RANGE + 1}))", data)
    with pytest.raises(SandboxTimeout):
        env.execute(f"total = sum(1 for a in range(1000) for b in range({LINE_BUDGET // 1000 + 1}))", data)
    with pytest.raises(SandboxTimeout):
        env.execute("def f(v):\n    return v + 1\nout = list(map(f, range(99999)))\n"
                    "out = list(map(f, out))\nout = list(map(f, out))", data)
    assert data == before
    assert sys.gettrace() is tracer                          # the budget's tracer is gone again


def test_only_code_that_can_repeat_lines_runs_under_the_line_budget(data):
    import sys
    outer = sys.gettrace()
    env = SandboxEnvironment({"budgeted": lambda *_: sys.gettrace() is not outer})
    assert env.evaluate("budgeted()", data) is False                       # one line: nothing to count
    assert env.evaluate("budgeted() if factor > 1 else None", data) is False
    assert env.evaluate("[budgeted() for _ in values][0]", data) is True
    assert env.evaluate("(lambda: budgeted())()", data) is True
    env.execute("a = budgeted()\nb = factor + 1", data)
    env.execute("for v in values:\n    c = budgeted()", data)
    env.execute("def f():\n    return 1\nd = budgeted()", data)
    assert (data["a"], data["b"], data["c"], data["d"]) == (False, 11, True, True)
    assert sys.gettrace() is outer
