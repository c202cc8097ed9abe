"""The script engine a workflow runs with: sandboxed expressions, the clock, the business
calendar and the registered service handlers. One is made for every unit of work, because it
carries that unit's context (session, instance, actor) to the service handlers."""
import ast
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .sandbox import SandboxEnvironment


class WallClockCalendar:
    """The default business calendar: durations in plain elapsed time."""

    def add_duration(self, start: datetime, iso: str) -> datetime:
        parsed = TimerEventDefinition.parse_iso_duration(iso)
        return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)

    def is_provisional(self, instant: datetime) -> bool:
        return False

    def local(self, instant: datetime) -> datetime:
        return instant


class FixedClock:
    """One instant for a whole unit of work: every `now()` in it, and its events, agree."""

    simulated = True

    def __init__(self, instant):
        self.instant = instant

    def now(self):
        return self.instant


@dataclass
class RunContext:
    """What a service handler may use besides the task: the unit of work it runs in."""

    session: Any
    instance_id: int | None
    actor: str | None
    replay: bool = False      # replays compute the same results but write nothing
    events: list = field(default_factory=list)   # domain events raised by handlers, saved after the engine's
    loaded: Any = None                            # the instances.Loaded being run
    at: datetime | None = None                    # the unit of work's instant

    def record(self, kind, data, step=None):
        """Queue an event for the instance's stream; written by `instances.save`, not in replays."""
        self.events.append(dict(kind=kind, step=step, data=data))


@dataclass
class ServiceCall:
    task: Any
    context: RunContext
    now: datetime


class ScriptEngine(PythonScriptEngine):
    """Diagram code runs here. `now()` is provided to diagrams as the unit of work's instant,
    in the business calendar's local time, as an ISO string."""

    def __init__(self, *, functions: dict, services: dict[str, Callable], clock, calendar, context: RunContext):
        functions = {**functions, "now": lambda: calendar.local(clock.now()).isoformat()}
        super().__init__(environment=SandboxEnvironment(functions))
        self.services = services
        self.clock = clock
        self.calendar = calendar
        self.context = context

    def now(self) -> datetime:
        return self.clock.now()

    def validate(self, expression):
        """SpiffWorkflow's check that an expression parses (SyntaxError if not): a decision table
        asks it of every cell each time it decides, so the answer is kept per text."""
        error = _syntax_error(expression)
        if error is not None:
            raise SyntaxError(*error)

    def add_duration(self, start: datetime, iso: str) -> datetime:
        return self.calendar.add_duration(start, iso)

    def call_service(self, task, operation_name=None, operation_params=None):
        handler = self.services.get(operation_name)
        if handler is None:
            raise WorkflowTaskException(f"no service handler is registered as {operation_name!r}", task=task)
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        result = handler(ServiceCall(task=task, context=self.context, now=self.clock.now()), **params)
        return json.dumps(result, default=str)


@lru_cache(maxsize=4096)
def _syntax_error(expression):
    """None if `expression` parses (as SpiffWorkflow's `validate` parses it), else its SyntaxError's args."""
    try:
        ast.parse(expression)
    except SyntaxError as exc:
        return exc.args
    return None
