"""engine.spiff_speedups against stock SpiffWorkflow 3.2, on the real case process.

- The walk and the scan find what the stock iterators find, in their order, for every query they
  answer, in every state a case passes through: timers waiting and fired, a 督办 branch beside the
  handling, a rework, the handling subprocess open and finished. A task inherits its parent's data
  as DeepMerge gives it.
- A case run on the stock methods and on these goes through the same states and records the same
  events, and SpiffWorkflow logs state changes as it always did when its logger is on.
"""
import logging
import time
from types import GeneratorType

import pytest
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator, TaskState
from SpiffWorkflow.workflow import Workflow

from engine import spiff, spiff_speedups
from engine.models import Event, Instance
from handlers.cases import service as cases
from tests.conftest import make_app
from tests.helpers import City

SIMING, JIALIAN, YINGCUI = "350203", "350203011", "350203011003"
STATES = [*TaskState._values, TaskState.FINISHED_MASK, TaskState.DEFINITE_MASK, TaskState.PREDICTED_MASK,
          TaskState.NOT_FINISHED_MASK, TaskState.ANY_MASK, TaskState.READY | TaskState.WAITING]


@pytest.fixture
def stock():
    """Stock SpiffWorkflow for the test's length, the speedups back afterwards."""
    spiff_speedups.uninstall()
    yield
    spiff_speedups.install()


def play(tmp_path, name):
    """One case through the moments that shape its tree; returns (its stored states after each
    moment, its events, the city)."""
    city = City(make_app(f"sqlite:///{tmp_path / name}"))
    city.setup()
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    states = []

    def moment():
        def stored(session):
            instance = session.get(Instance, cases.get_by_no(session, case_no).instance_id)
            return instance.state, instance.deployment_id
        states.append(city.work(stored))

    moment()
    city.set_clock("2026-03-02 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    moment()
    city.assign_down(case_no, SIMING, JIALIAN, YINGCUI)
    moment()
    for when in ("2026-03-03 14:46", "2026-03-03 16:10", "2026-03-05 16:10"):   # warning, overdue, a further day
        city.set_clock(when)
        city.sweep()
        moment()
    city.supervise(case_no, "shiftlead")
    moment()
    city.complete(case_no, "dispatch", f"officer-{YINGCUI}", action="handle")
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="已处置")
    moment()
    city.complete(case_no, "review", f"officer-{JIALIAN}", approved=False, comment="照片不清楚")   # rework
    moment()
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="已重新处置")
    city.review_up(case_no, JIALIAN, SIMING, "350200")
    moment()
    city.complete(case_no, "check_result", "grid-35020301100301", passed=True)
    city.complete(case_no, "close_case", "shiftlead", comment="结案")
    moment()
    events = city.work(lambda s: [(e.kind, e.step, e.data) for e in s.query(Event).order_by(Event.id)])
    return states, events, city


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """One play, shared by the tests that only read its states (each rebuilds its workflows)."""
    states, events, city = play(tmp_path_factory.mktemp("played"), "city.db")
    yield states, events, city
    city.db.dispose()


def workflows_of(city, states):
    deployment = city.work(lambda s: city.runtime.deployment(s, states[0][1]))
    specs = city.runtime.specs(deployment)
    return [spiff.state_from_json(state, *specs) for state, _ in states]


def queries(workflow):
    """Every kind of query the walk answers, with names and stops from this workflow's own tasks."""
    names = sorted({t.task_spec.name for t in workflow.tasks.values()})
    for state in STATES:
        for manual in (None, True, False):
            yield dict(state=state, manual=manual)
    for name in names:
        yield dict(spec_name=name)
        yield dict(end_at_spec=name, state=TaskState.NOT_FINISHED_MASK)
    yield dict(state=TaskState.READY, skip_subprocesses=True)
    yield dict(skip_subprocesses=True)


def test_the_walk_and_the_scan_find_what_the_stock_iterators_find(played):
    states, _, city = played
    assert spiff_speedups.installed()
    checked = scans = 0
    for top in workflows_of(city, states):
        for workflow in (top, *top.subprocesses.values()):
            starts = [None, *list(workflow.tasks.values())[1::7]]      # the root and some tasks inside
            for first in starts:
                begin = first or workflow.task_tree
                for query in queries(workflow):
                    iterator = workflow.get_tasks_iterator(first, **query)
                    scans += not isinstance(iterator, GeneratorType)      # answered by the scan
                    assert list(iterator) == list(BpmnTaskIterator(begin, **query)), (first, query)
                    checked += 1
                    if "skip_subprocesses" not in query:          # the plain iterator (Workflow's own)
                        plain = list(Workflow.get_tasks_iterator(workflow, first, **query))
                        assert plain == list(TaskIterator(begin, **query)), (first, query)
            waiting = list(spiff_speedups.walk(workflow.task_tree, state=TaskState.WAITING))
            assert waiting == list(TaskIterator(workflow.task_tree, state=TaskState.WAITING))
    assert checked > 10_000 and scans > 300
    # the moments did reach what they were for: the subprocess open, timers waiting, a finished case
    tops = workflows_of(city, states)
    assert any(top.subprocesses for top in tops) and tops[-1].is_completed()
    assert any(list(spiff_speedups.walk(t.task_tree, state=TaskState.WAITING)) for t in tops)


def test_the_scan_leaves_out_what_the_walk_does_not_reach(played):
    """SpiffWorkflow never puts a definite task below a predicted one; were one there, the stock
    iterators would not descend to it, and neither does the scan."""
    states, _, city = played
    top = workflows_of(city, states)[2]
    below = next(child for t in spiff_speedups.walk(top.task_tree, top.subprocesses, state=TaskState.PREDICTED_MASK)
                 for child in t.children)
    below._state = TaskState.READY                          # out of SpiffWorkflow's order, by hand
    assert below in top.tasks.values() or any(below in sub.tasks.values() for sub in top.subprocesses.values())
    stock = list(BpmnTaskIterator(top.task_tree, state=TaskState.READY))
    assert below not in stock
    assert list(top.get_tasks_iterator(state=TaskState.READY)) == stock


def test_queries_it_does_not_answer_go_to_the_stock_iterator(played):
    states, _, city = played
    top = workflows_of(city, states)[3]
    iterator = top.get_tasks_iterator(state=TaskState.READY, depth_first=False)
    assert isinstance(iterator, BpmnTaskIterator)
    assert list(iterator) == list(BpmnTaskIterator(top.task_tree, state=TaskState.READY, depth_first=False))


@pytest.mark.parametrize("held", [{}, {"a": {"y": 2}, "b": [3], "c": 3}], ids=["holding nothing", "holding data"])
def test_a_task_inherits_its_parents_data_as_stock_spiffworkflow_gives_it(played, held):
    states, _, city = played

    def inherit():
        task = next(t for t in workflows_of(city, states[:1])[0].tasks.values() if t.parent is not None)
        parent = task.parent
        parent.data = {"a": {"x": [1]}, "b": [1, 2], "s": {1}, "n": 1, "t": "文本"}
        task.data = before = {key: value.copy() if hasattr(value, "copy") else value for key, value in held.items()}
        task._inherit_data()
        # the data, the dict it is in, and which of its values are the parent's own objects
        return task.data, task.data is before, {key: value is parent.data.get(key) for key, value in task.data.items()}

    fast = inherit()
    spiff_speedups.uninstall()
    try:
        slow = inherit()
    finally:
        spiff_speedups.install()
    assert fast == slow
    assert fast[1] is True and not any(v for k, v in fast[2].items() if k in ("a", "b", "s"))


def canonical(workflow):
    """A workflow as two runs of one case can share it: every task in the stock tree order, by
    spec, state and data (the ids are random, the instants real time)."""
    return [(t.task_spec.name, t.state, t.data, {k: v for k, v in t.internal_data.items()})
            for t in BpmnTaskIterator(workflow.task_tree)]


def without_ids(data):
    return {k: v for k, v in data.items() if k != "task_id"}


def test_a_case_goes_as_it_goes_on_stock_spiffworkflow(tmp_path, stock):
    stock_states, stock_events, stock_city = play(tmp_path, "stock.db")
    spiff_speedups.install()
    states, events, city = play(tmp_path, "fast.db")
    assert [(k, s, without_ids(d)) for k, s, d in events] == [(k, s, without_ids(d)) for k, s, d in stock_events]
    assert [canonical(w) for w in workflows_of(city, states)] == \
        [canonical(w) for w in workflows_of(stock_city, stock_states)]
    city.db.dispose()
    stock_city.db.dispose()


def test_state_changes_are_logged_as_stock_logs_them(played, caplog):
    states, _, city = played
    deployment = city.work(lambda s: city.runtime.deployment(s, states[0][1]))
    specs = city.runtime.specs(deployment)

    def records(level):
        caplog.clear()
        workflow = spiff.state_from_json(states[0][0], *specs)       # the report, waiting for its acceptance
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        before = time.time()
        with caplog.at_level(level, logger="spiff.task"):
            task._set_state(TaskState.READY)       # set again: logged at DEBUG only
            task._set_state(TaskState.STARTED)
        assert task.state == TaskState.STARTED and before <= task.last_state_change <= time.time()
        return [(r.levelname, r.getMessage(), r.task_spec, r.state) for r in caplog.records if r.name == "spiff.task"]

    fast = {level: records(level) for level in (logging.DEBUG, logging.INFO, logging.WARNING)}
    spiff_speedups.uninstall()
    try:
        slow = {level: records(level) for level in (logging.DEBUG, logging.INFO, logging.WARNING)}
    finally:
        spiff_speedups.install()
    assert fast == slow
    assert [m for _, m, _, _ in fast[logging.DEBUG]] == ["State set to READY", "State changed to STARTED"]
    assert fast[logging.INFO] == [("INFO", "State changed to STARTED", "accept_report", "STARTED")]
    assert fast[logging.WARNING] == []
