"""Benchmark: the case list (`GET /api/v1/cases`) as the database grows, for every filter and for
deep pages, as the intake operator (sees every case) and as a street officer (their subtree);
and the cost of one report and its first step at each size (it must not grow with the cases).

    .venv/bin/python bench/lists.py [--sizes 1000,10000,100000] [--db sqlite|postgresql|both] [--repeat 5]

(`LISTS_DB=postgresql` does what `--db postgresql` does.) The product is set up for real on a
database of the benchmark's own (bench/scratch.py: migrations, the shipped processes, the Xiamen
org tree); the cases are written in bulk as bench/map.py writes them (a case row spread over 2026,
5% still open at every stage, its `case_units` rows, an instance row; numbered as the service
numbers them), growing the same database from one size to the next. Each request goes through the
whole app (Flask's test client: token, validation, the query, the JSON); each figure is the median
of --repeat requests after one warm-up. PostgreSQL is ANALYZEd after each growth, as autovacuum
would.
"""
import argparse
import contextvars
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CITYGRID_CLOCK", "simulated")
os.environ.setdefault("CITYGRID_SCHEDULER", "off")

import lifecycle  # noqa: E402  (bench/lifecycle.py: the seed report and its first step)
import map as bulk  # noqa: E402  (bench/map.py: the bulk cases)
import scratch  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine.db import get_db  # noqa: E402
from handlers.cases import service as cases  # noqa: E402
from handlers.cases.forms import ReportSchema  # noqa: E402
from handlers.localtime import local  # noqa: E402
from handlers.org.service import get_user_by_username  # noqa: E402
from handlers.org.tokens import issue_user_token  # noqa: E402
from handlers.worklist import service as worklist  # noqa: E402

VIEWERS = {"intake": "intake", "street officer (嘉莲街道)": "officer-350203011"}
TODAY = local(bulk.NOW).date()
MIDDLE, LAST = "middle", "last"    # deep pages: the middle one and the last one of the unfiltered list
QUERIES = [
    ("all, page 1", {}),
    ("deep page (the middle)", {"page": MIDDLE}),
    ("last page", {"page": LAST}),
    ("status=open", {"status": "open"}),
    ("status=closed", {"status": "closed"}),
    ("status=open, deep page", {"status": "open", "page": MIDDLE}),
    ("category=200115", {"category": "200115"}),
    ("category=2001 (class)", {"category": "2001"}),
    ("unit=350203 (思明区)", {"unit": "350203"}),
    ("area=350203011001", {"area": "350203011001"}),
    ("channel=hotline12345", {"channel": "hotline12345"}),
    ("urgency=A", {"urgency": "A"}),
    ("urgency=none", {"urgency": "none"}),
    ("light=red", {"light": "red"}),
    ("overdue=true", {"overdue": "true"}),
    ("due=today", {"due": TODAY.isoformat()}),
    ("from/to (November)", {"from": "2026-11-01", "to": "2026-11-30"}),
    ("closed in November", {"dated": "closed", "from": "2026-11-01", "to": "2026-11-30"}),
    ("q=1231 (part of a number)", {"q": "1231"}),
    ("q=20260315 (a day)", {"q": "20260315"}),
    ("status=open&category=2005&urgency=B", {"status": "open", "category": "2005", "urgency": "B"}),
]


def median_ms(fn, repeat):
    fn()                                  # warm: the directory, the statement cache
    seconds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds) * 1000


def tokens(app):
    with get_db(app).unit_of_work() as session:
        return {label: issue_user_token(session, username=name, at=bulk.NOW)[1] for label, name in VIEWERS.items()}


def lister(client, token):
    """get(query) -> the list's JSON, asserting 200. Each request runs outside the benchmark's own
    app context (an empty contextvars.Context), so it gets its own, as a server's would: its own
    session and caller, nothing cached from the request before."""
    def get(query):
        answer = contextvars.Context().run(client.get, "/api/v1/cases", query_string=query,
                                           headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, (query, answer.status_code, answer.get_data(as_text=True)[:300])
        return answer.get_json()
    return get


def resolved(get, query):
    """The query with a deep page named by MIDDLE/LAST turned into its number."""
    if query.get("page") not in (MIDDLE, LAST):
        return query
    pages = get({k: v for k, v in query.items() if k != "page"})["pages"]
    return {**query, "page": str(max(1, pages // 2) if query["page"] == MIDDLE else pages)}


def step_costs(app, repeat):
    """(report ms, first step ms): medians over `repeat` reports through the services, each its own
    unit of work (as `bench/lifecycle.py` runs them)."""
    db, runtime, directory = get_db(app), app.extensions["citygrid.runtime"], app.extensions["citygrid.directory"]
    step, username, form = lifecycle.STEPS[0]
    reports, steps = [], []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        with db.unit_of_work() as session:
            runtime.clock.sync(session)
            user = get_user_by_username(session, "grid-35020301100301")
            case, _ = cases.report(session, runtime, directory, user=user, data=ReportSchema().load(lifecycle.REPORT))
            case_no = case.case_no
        t1 = time.perf_counter()
        with db.unit_of_work() as session:
            runtime.clock.sync(session)
            user = get_user_by_username(session, username)
            task = next(t for t, _ in worklist.list_tasks(session, directory, user=user, case_no=case_no)
                        if t.step == step)
            worklist.complete(session, runtime, directory, user=user, task_id=task.task_id, data=form)
        reports.append(t1 - t0)
        steps.append(time.perf_counter() - t1)
    return statistics.median(reports[1:]) * 1000, statistics.median(steps[1:]) * 1000


def analyze(app, kind):
    if kind != "postgresql":
        return
    with get_db(app).engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def run(kind, sizes, repeat):
    with scratch.product(kind, "lists", bulk.NOW) as app:
        logging.getLogger("citygrid.request").setLevel(logging.WARNING)     # a line a request otherwise
        db, directory = get_db(app), app.extensions["citygrid.directory"]
        client, keys = app.test_client(), tokens(app)
        written, figures, totals, costs = 0, {}, {}, {}
        for size in sizes:
            t0 = time.perf_counter()
            bulk.write_cases(db, directory, size - written, seed=size)
            written = size
            analyze(app, kind)
            print(f"{kind}: {size} cases (grown in {time.perf_counter() - t0:.1f} s)", flush=True)
            for viewer, token in keys.items():
                get = lister(client, token)
                for name, query in QUERIES:
                    query = resolved(get, query)
                    totals[viewer, name, size] = get(query)["total"]
                    figures[viewer, name, size] = median_ms(lambda: get(query), repeat)
            costs[size] = step_costs(app, repeat)
        print(f"\n{kind}: GET /api/v1/cases, median ms of {repeat} (total rows in brackets)")
        header = "".join(f"{size:>18,}" for size in sizes)
        for viewer in keys:
            print(f"  as {viewer}{'':<{38 - len(viewer)}}{header}")
            for name, _ in QUERIES:
                cells = "".join(f"{figures[viewer, name, s]:9.1f} ({totals[viewer, name, s]:>6})" for s in sizes)
                print(f"    {name:<38}{cells}")
            worst = max(figures[viewer, name, sizes[-1]] for name, _ in QUERIES)
            print(f"    {'slowest at ' + format(sizes[-1], ','):<38}{worst:9.1f} ms (target < 20 ms at 100,000)")
        print(f"  {'a report (grid worker), ms':<41}" + "".join(f"{costs[s][0]:18.1f}" for s in sizes))
        print(f"  {'its first step (accept_report), ms':<41}" + "".join(f"{costs[s][1]:18.1f}" for s in sizes))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated, growing")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default=os.environ.get("LISTS_DB", "sqlite"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(kind, sizes, args.repeat)


if __name__ == "__main__":
    main()
