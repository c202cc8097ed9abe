"""Benchmark: N full case lifecycles (the seed case: report, file, dispatch down three levels,
handle, review up three levels, check, close) through the service layer, persisted on SQLite or PostgreSQL,
against the same lifecycles on the bare SpiffWorkflow engine in memory, in the same run.

    .venv/bin/python bench/lifecycle.py [--blocks 10] [--block 20] [--db sqlite|postgresql|both]

Runs interleaved blocks (bare, persisted, bare, ...) in one process and prints cases/second for
both, the ratio persisted / bare of each pair of blocks (min, median, max), per-step latency
percentiles and peak memory. The bare engine is stock SpiffWorkflow 3.2: its blocks run with
engine.spiff_speedups uninstalled. The same bare lifecycle with them installed is timed beside,
and printed too: what the speedups take off the engine itself. After the warm-up the process
settles (engine.settle), as a served process does once its app is built.
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

import scratch  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from tqdm import tqdm  # noqa: E402

from app import create_app  # noqa: E402
from engine import cli as engine_cli, spiff_speedups  # noqa: E402
from engine.db import get_db  # noqa: E402
from engine.settle import settle  # noqa: E402
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


def bare_engine(n, app, stock=True):
    """The same lifecycle on plain SpiffWorkflow, in memory: same files, same script functions;
    `stock`: with SpiffWorkflow's own inner loops (engine.spiff_speedups uninstalled meanwhile)."""
    if stock:
        spiff_speedups.uninstall()
        try:
            return bare_engine(n, app, stock=False)
        finally:
            spiff_speedups.install()
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
    for _ in range(n):
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
    parser.add_argument("--blocks", type=int, default=10, help="pairs of blocks (bare, persisted)")
    parser.add_argument("--block", type=int, default=20, help="cases per block")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    args = parser.parse_args()
    for kind in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        run(kind, args.blocks, args.block)


def run(kind, blocks, block):
    """Interleaved blocks (bare, persisted, bare, ...) in one process, so that load beside the
    bench moves both sides alike: the ratio is taken per pair of neighbouring blocks."""
    with tempfile.TemporaryDirectory() as tmp, scratch.database_url(kind, tmp, "lifecycle") as url:
        app = create_app({"DATABASE_URL": url, "CITYGRID_CLOCK": "real", "SECRET_KEY": "bench",
                          "CITYGRID_UPLOAD_DIR": tmp})
        try:
            engine_cli.upgrade(app)
            with get_db(app).unit_of_work() as session:
                tree.load(session)
            app.extensions["citygrid.directory"].invalidate()
            bare_engine(5, app)                       # warm-up: imports, caches
            persisted(5, app)
            settle(app)                               # as a served process does once built
            bare, fast, kept, latencies = [], [], [], []
            for _ in tqdm(range(blocks), desc=f"blocks ({kind})", unit="pair", leave=False):
                bare.append(bare_engine(block, app))
                fast.append(bare_engine(block, app, stock=False))
                total, lat = persisted(block, app)
                kept.append(total)
                latencies += lat
            # Memory in a separate, shorter pass: tracing allocations slows everything down.
            tracemalloc.start()
            persisted(block, app)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        finally:
            get_db(app).dispose()
    ratios = sorted(p / b for p, b in zip(kept, bare))
    fast_ratios = sorted(p / f for p, f in zip(kept, fast))
    n = blocks * block
    q = statistics.quantiles([x * 1000 for x in latencies], n=100)
    print(f"lifecycle on {kind}: report + {len(STEPS)} user steps, {blocks} pairs of blocks of {block} cases")
    print(f"bare SpiffWorkflow, in memory : {n / sum(bare):8.1f} cases/s  ({sum(bare) / n * 1000:6.2f} ms/case)")
    print(f"  the same with the speedups  : {n / sum(fast):8.1f} cases/s  ({sum(fast) / n * 1000:6.2f} ms/case)")
    print(f"citygrid, persisted           : {n / sum(kept):8.1f} cases/s  ({sum(kept) / n * 1000:6.2f} ms/case)")
    print(f"ratio persisted / bare        : min {ratios[0]:.2f}x, median {statistics.median(ratios):.2f}x, "
          f"max {ratios[-1]:.2f}x over {blocks} pairs   (target <= {3 if kind == 'sqlite' else 5}x)")
    print(f"  against the sped-up engine  : min {fast_ratios[0]:.2f}x, median {statistics.median(fast_ratios):.2f}x, "
          f"max {fast_ratios[-1]:.2f}x")
    print(f"per step (one transaction)    : p50 {q[49]:.2f} ms, p95 {q[94]:.2f} ms, p99 {q[98]:.2f} ms "
          f"over {len(latencies)} steps ({len(STEPS) + 1} per case)")
    print(f"peak traced memory            : {peak / 1024 / 1024:.1f} MiB (over {block} persisted cases)")


if __name__ == "__main__":
    main()
