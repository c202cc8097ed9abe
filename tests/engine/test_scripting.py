"""engine.scripting: the check a decision table asks of each cell (`validate`) answers as
SpiffWorkflow's own: nothing for a text that parses, the same SyntaxError for one that does not,
however often it is asked."""
import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine.clock import SimulatedClock
from engine.scripting import RunContext, ScriptEngine, WallClockCalendar


@pytest.fixture
def engine():
    return ScriptEngine(functions={}, services={}, clock=SimulatedClock(), calendar=WallClockCalendar(),
                        context=RunContext(session=None, instance_id=None, actor=None))


@pytest.mark.parametrize("text", ["'A'", "urgency == 'A'", "> 3", "in ('A', 'B')", "v in ('A', 'B')", "1 +", "'未闭合"])
def test_validate_answers_as_spiffworkflow_does_every_time(engine, text):
    stock = PythonScriptEngine()
    try:
        stock.validate(text)
        expected = None
    except SyntaxError as exc:
        expected = exc.args
    for _ in range(3):
        if expected is None:
            assert engine.validate(text) is None
        else:
            with pytest.raises(SyntaxError) as raised:
                engine.validate(text)
            assert raised.value.args == expected
