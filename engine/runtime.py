"""The runtime: what app.py hands the engine (clock, business calendar, script functions,
service handlers, listeners, linters) and the in-process caches of specs and workflows."""
import contextlib
import copy
import json
from collections import OrderedDict
from threading import Lock
from typing import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from . import spiff
from .models import Deployment
from .scripting import FixedClock, RunContext, ScriptEngine, WallClockCalendar


class WorkflowCache:
    """Deserialized workflows by instance id and version, so a hot instance is not re-parsed.

    A load takes the entry out (a workflow object is never shared by two units of work);
    it goes back only after its transaction commits (see `_after_commit`).
    """

    def __init__(self, size=2000):
        self.size = size
        self._items = OrderedDict()
        self._lock = Lock()

    def take(self, instance_id, version):
        with self._lock:
            entry = self._items.pop(instance_id, None)
        if entry is not None and entry[0] == version:
            return entry[1]
        return None

    def put(self, instance_id, version, workflow):
        with self._lock:
            self._items[instance_id] = (version, workflow)
            self._items.move_to_end(instance_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self):
        with self._lock:
            self._items.clear()


class Runtime:
    """Everything the engine needs from outside, given once by app.py."""

    def __init__(self, *, clock, calendar=None, functions=None, services=None, cache_size=2000):
        self.clock = clock
        self.calendar = calendar or WallClockCalendar()
        self.functions = dict(functions or {})
        self.services: dict[str, Callable] = dict(services or {})
        self.listeners: list[Callable] = []   # called as f(session, loaded) after every save
        self.linters: list[Callable] = []     # called as f(spec, subprocess_specs) -> [problems]
        self.decision_linters: list[Callable] = []   # f(spec, {decision id: DecisionTable}) -> [problems]
        # f(spec, {decision id: DecisionTable}, {ids of the processes deployed}) -> [problems]
        self.link_linters: list[Callable] = []
        # {process id: decision ids the domain evaluates itself}: deployed with that process's files
        self.read_decisions: dict[str, tuple] = {}
        self.workflows = WorkflowCache(cache_size)
        # Replay hook: given the external changes still ahead in a stream, a context manager under
        # which the world looks as it did before them (e.g. calendar data not yet loaded).
        self.replay_context: Callable = lambda later_events: contextlib.nullcontext()
        self._specs = {}
        self._deployments = {}
        self._specs_lock = Lock()

    def script_engine(self, context: RunContext) -> ScriptEngine:
        """A script engine for one unit of work, its clock frozen at the unit's instant."""
        if context.at is None:
            context.at = self.clock.now()
        return ScriptEngine(functions=self.functions, services=self.services, clock=FixedClock(context.at),
                            calendar=self.calendar, context=context)

    def with_clock(self, clock):
        """The same runtime on another clock (replays), sharing the spec cache but no workflows."""
        twin = copy.copy(self)
        twin.clock = clock
        twin.workflows = WorkflowCache(0)
        return twin

    def after_fork(self):
        """In a forked helper process (engine.fanout): locks of its own (another thread may have held
        one at the fork) and a workflow cache of its own."""
        self._specs_lock = Lock()
        self.workflows = WorkflowCache(self.workflows.size)

    def deployment(self, session, deployment_id):
        """A deployment row (immutable once stored), read once per process."""
        found = self._deployments.get(deployment_id)
        if found is None:
            found = session.get(Deployment, deployment_id)
            session.expunge(found)
            self._deployments[deployment_id] = found
        return found

    def specs(self, deployment):
        """The restored (spec, subprocess_specs) of a deployment, shared read-only by its instances."""
        with self._specs_lock:
            found = self._specs.get(deployment.id)
        if found is None:
            found = spiff.spec_from_dict(json.loads(deployment.spec))
            with self._specs_lock:
                self._specs[deployment.id] = found
        return found

    def remember_specs(self, deployment_id, specs):
        with self._specs_lock:
            self._specs[deployment_id] = specs


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    for cache, instance_id, version, workflow in session.info.pop("citygrid.cache", []):
        cache.put(instance_id, version, workflow)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop("citygrid.cache", None)
