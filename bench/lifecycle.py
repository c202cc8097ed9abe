"""Benchmark: N full case lifecycles (the seed case: report, file, dispatch down three levels,
handle, review up three levels, check, close) through the service layer, persisted on SQLite,
against the same lifecycles on the bare SpiffWorkflow engine in memory, in the same run.

    .venv/bin/python bench/lifecycle.py [--cases 200]

Prints cases/second for both, their ratio, per-step latency percentiles and peak memory.
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from tqdm import tqdm  # noqa: E402

from app import create_app  # noqa: E402
from engine import cli as engine_cli  # noqa: E402
from engine.db import get_db  # noqa: E402
from handlers.cases import service as cases  # noqa: E402
from handlers.cases.forms import ReportSchema  # noqa: E402
from handlers.demo import tree  # noqa: E402
from handlers.org.service import get_user_by_username  # noqa: E402
from handlers.worklist import service as worklist  # noqa: E402

REPORT = {"channel": "grid", "category": "200115", "description": "明发商业广场台球馆门口污水横流",
          "address": "思明区嘉莲街道明发商业广场", "grid": "35020301100301"}
# (step, user, form) of the seed lifecycle after the report
STEPS = [
    ("accept_report", "intake", {"decision": "file", "urgency": "A"}),
    ("dispatch", "dispatcher", {"action": "assign", "unit": "350203"}),
    ("dispatch", "officer-350203", {"action": "assign", "unit": "350203011"}),
    ("dispatch", "officer-350203011", {"action": "assign", "unit": "350203011003"}),
    ("dispatch", "officer-350203011003", {"action": "handle"}),
    ("handle", "officer-350203011003", {"action": "done", "result": "已处置"}),
    ("review", "officer-350203011", {"approved": True}),
    ("review", "officer-350203", {"approved": True}),
    ("review", "dispatcher", {"approved": True}),
    ("check_result", "grid-35020301100301", {"passed": True}),
    ("close_case", "shiftlead", {}),
]


def bare_engine(n, app):
    """The same lifecycle on plain SpiffWorkflow, in memory: same files, same script functions."""
    runtime = app.extensions["citygrid.runtime"]
    parser = SpiffBpmnParser()
    process_dir = Path(app.config["CITYGRID_PROCESS_DIR"])
    parser.add_bpmn_files([str(p) for p in process_dir.glob("*.bpmn")])
    parser.add_dmn_files([str(p) for p in process_dir.glob("*.dmn")])
    spec, subprocess_specs = parser.get_spec("case_handling"), parser.get_subprocess_specs("case_handling")
    # Stock SpiffWorkflow compares timers with the real clock: keep its deadlines in the future.
    functions = dict(runtime.functions, now=lambda: "2030-03-04T16:10:00+08:00")

    class Engine(PythonScriptEngine):
        def call_service(self, task, operation_name=None, operation_params=None):
            return json.dumps({})

    engine = Engine(environment=TaskDataEnvironment(functions))
    start = dict(REPORT, community="350203011003", case_no="x", center="350200", lat=None, lng=None,
                 external_ref=None, suggested_urgency=None, fixed_on_spot=False)
    t0 = time.perf_counter()
    for _ in range(n):
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine)
        workflow.task_tree.data.update(start)
        workflow.do_engine_steps()
        for step, _user, form in STEPS:
            task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                        if t.task_spec.bpmn_id == step)
            task.set_data(**form)
            task.run()
            workflow.do_engine_steps()
        assert workflow.is_completed()
    return time.perf_counter() - t0


def persisted(n, app):
    """The lifecycle through the service layer: one unit of work (transaction) per step."""
    db, runtime = get_db(app), app.extensions["citygrid.runtime"]
    directory = app.extensions["citygrid.directory"]
    latencies = []
    t0 = time.perf_counter()
    for _ in tqdm(range(n), desc="persisted", unit="case", leave=False):
        s0 = time.perf_counter()
        with db.unit_of_work() as session:
            runtime.clock.sync(session)
            user = get_user_by_username(session, "grid-35020301100301")
            case, _ = cases.report(session, runtime, directory, user=user, data=ReportSchema().load(REPORT))
            case_no = case.case_no
        latencies.append(time.perf_counter() - s0)
        for step, username, form in STEPS:
            s0 = time.perf_counter()
            with db.unit_of_work() as session:
                runtime.clock.sync(session)
                user = get_user_by_username(session, username)
                task, _case = next((t, c) for t, c in worklist.list_tasks(session, directory, user=user, case_no=case_no)
                                   if t.step == step)
                worklist.complete(session, runtime, directory, user=user, task_id=task.task_id, data=form)
            latencies.append(time.perf_counter() - s0)
    return time.perf_counter() - t0, latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "CITYGRID_CLOCK": "real",
                          "SECRET_KEY": "bench"})
        engine_cli.upgrade(app)
        with get_db(app).unit_of_work() as session:
            tree.load(session)
        app.extensions["citygrid.directory"].invalidate()
        bare_engine(5, app)                       # warm-up: imports, caches
        bare = bare_engine(args.cases, app)
        persisted(5, app)
        total, latencies = persisted(args.cases, app)
        # Memory in a separate, shorter pass: tracing allocations slows everything down.
        tracemalloc.start()
        persisted(20, app)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    steps = len(STEPS) + 1
    q = statistics.quantiles([x * 1000 for x in latencies], n=100)
    print(f"lifecycle: report + {len(STEPS)} user steps, {args.cases} cases")
    print(f"bare SpiffWorkflow, in memory : {args.cases / bare:8.1f} cases/s  ({bare / args.cases * 1000:6.2f} ms/case)")
    print(f"citygrid, persisted on SQLite : {args.cases / total:8.1f} cases/s  ({total / args.cases * 1000:6.2f} ms/case)")
    print(f"ratio persisted / bare        : {total / bare:8.2f}x   (target <= 3x; spiff-arena 172x)")
    print(f"per step (one transaction)    : p50 {q[49]:.2f} ms, p95 {q[94]:.2f} ms, p99 {q[98]:.2f} ms "
          f"over {len(latencies)} steps ({steps} per case)")
    print(f"peak traced memory            : {peak / 1024 / 1024:.1f} MiB (over 20 persisted cases)")


if __name__ == "__main__":
    main()
