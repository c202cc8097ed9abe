"""The instance state as engine.spiff writes and reads it: every state a real case passes through
reads back into exactly the workflow SpiffWorkflow's own task converter rebuilds (ours skips
copying what it would delete), and writes out again unchanged, whether from the dicts kept from
the reading (the finished and the predicted tasks') or converted afresh."""
import functools

from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter as StockTaskConverter
from engine import spiff
from engine.models import Instance
from handlers.cases import service as cases
from tests.conftest import make_app
from tests.helpers import City

STEPS = [("accept_report", "intake", {"decision": "file", "urgency": "A"}),
         ("dispatch", "dispatcher", {"action": "assign", "unit": "350203"}),
         ("dispatch", "officer-350203", {"action": "assign", "unit": "350203011"}),
         ("dispatch", "officer-350203011", {"action": "assign", "unit": "350203011003"}),
         ("dispatch", "officer-350203011003", {"action": "handle"}),
         ("handle", "officer-350203011003", {"action": "done", "result": "已处置"}),
         ("review", "officer-350203011", {"approved": False, "comment": "照片不清楚"})]


def tasks_of(workflow):
    """Everything a task holds, by id, for the workflow and its subprocesses."""
    return {str(t.id): (t.task_spec.name, t.state, str(t._parent), [str(c) for c in t._children],
                        t.last_state_change, t.triggered, t.internal_data, t.data)
            for wf in (workflow, *workflow.subprocesses.values()) for t in wf.tasks.values()}


def with_stock_converter(read):
    """Run `read` with SpiffWorkflow's own task converter registered in ours' place."""
    registry = spiff.SERIALIZER.registry
    ours = registry.convert_from_dict["Task"]
    stock = StockTaskConverter.__new__(StockTaskConverter)
    stock.__dict__.update(ours.args[0].__self__.__dict__)
    registry.convert_from_dict["Task"] = functools.partial(ours.func, stock.from_dict)
    try:
        return read()
    finally:
        registry.convert_from_dict["Task"] = ours


def test_every_state_of_a_case_reads_as_spiffworkflow_reads_it(tmp_path):
    city = City(make_app(f"sqlite:///{tmp_path / 'city.db'}"))
    city.setup()
    city.set_clock("2026-03-02 09:00")
    case_no = city.report()
    states = []

    def stored(session):
        instance = session.get(Instance, cases.get_by_no(session, case_no).instance_id)
        return instance.state, instance.deployment_id
    states.append(city.work(stored))
    for step, user, form in STEPS:
        city.complete(case_no, step, user, **form)
        states.append(city.work(stored))

    deployment = city.work(lambda s: city.runtime.deployment(s, states[0][1]))
    specs = city.runtime.specs(deployment)
    ours = [spiff.state_from_json(state, *specs) for state, _ in states]
    theirs = with_stock_converter(lambda: [spiff.state_from_json(state, *specs) for state, _ in states])
    for mine, stock, (state, _) in zip(ours, theirs, states):
        assert tasks_of(mine) == tasks_of(stock)
        assert spiff.state_to_json(mine) == state
        # the tasks' dicts kept from the reading are what converting them gives
        spiff.forget_task_dicts(mine)
        assert spiff.state_to_json(mine) == state
    # the returned review's tasks carry the case's data as the engine left it
    assert any(t[7].get("comment") == "照片不清楚" for t in tasks_of(ours[-1]).values())
    city.db.dispose()


def test_a_workflow_kept_between_steps_writes_what_converting_it_afresh_writes(tmp_path):
    """The workflow a process keeps between units of work (runtime.workflows) reuses the dicts of
    its finished and of its predicted tasks (those holding no data): after every step of a case,
    returned and all, what it wrote is what converting every task again gives."""
    city = City(make_app(f"sqlite:///{tmp_path / 'city.db'}"))
    city.setup()
    city.set_clock("2026-03-02 09:00")
    case_no = city.report()
    kept_predicted = 0

    def check(session):
        nonlocal kept_predicted
        instance = session.get(Instance, cases.get_by_no(session, case_no).instance_id)
        live = city.runtime.workflows.take(instance.id, instance.version)
        assert live is not None                                  # the step's own workflow, kept
        # the predicted tasks whose dict the save kept and the next save will reuse as it is
        kept_predicted += sum(1 for wf in (live, *live.subprocesses.values()) for t in wf.tasks.values()
                              if not t.state & spiff.FINISHED and spiff._stamp(t) is not None
                              and wf.__dict__[spiff._TASK_DICTS].get(t.id, (None,))[0] == spiff._stamp(t))
        written = spiff.state_to_json(live)
        assert written == instance.state
        spiff.forget_task_dicts(live)
        assert spiff.state_to_json(live) == written
        city.runtime.workflows.put(instance.id, instance.version, live)
        return live
    for step, user, form in [*STEPS, ("handle", "officer-350203011003", {"action": "done", "result": "已重新处置"}),
                             ("review", "officer-350203011", {"approved": True}),
                             ("review", "officer-350203", {"approved": True})]:
        city.complete(case_no, step, user, **form)
        live = city.work(check)
    assert kept_predicted > 0           # the predicted tasks' dicts were reused, not only converted
    # What would make a kept dict stale is seen: data given to a predicted task, a key its parent gains.
    predicted = [t for t in live.tasks.values() if not t.state & spiff.FINISHED and not t.data
                 and t.parent is not None and not t.parent.state & spiff.FINISHED]
    assert predicted
    spiff.state_to_json(live)
    for change in (lambda t: t.data.update(x=1), lambda t: t.parent.data.update(y=2)):
        change(predicted[0])
        written = spiff.state_to_json(live)
        spiff.forget_task_dicts(live)
        assert written == spiff.state_to_json(live)
        predicted[0].data.clear()
    city.db.dispose()
