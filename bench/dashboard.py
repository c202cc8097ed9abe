"""Benchmark: the dashboard (态势) of a month, beside the evaluation of the same month, in one run.

    .venv/bin/python bench/dashboard.py [--months 3] [--cases 100000] [--db sqlite|postgresql] [--repeat 10]

Two databases of the benchmark's own (bench/scratch.py), each set up for real (migrations, the
shipped processes, the Xiamen org tree):

1. the demo history: `--months` of cases played through the real services and engine in simulated
   time (handlers/demo/history, as `demo load` plays them), up to 2026-11-26 15:00;
2. `--cases` cases of 2026 written in bulk as bench/evaluation.py writes them (with their
   case_units rows, which the district's visibility reads), up to 2026-12-31 18:00.

For each, the month's dashboard of the city (an auditor) and of 思明区 (its supervisor), and the
month's evaluation (`report.compute`, which the dashboard calls twice: the month and today), timed
--repeat times each: median and p95, and the dashboard's median as a multiple of the evaluation's.
"""
import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CITYGRID_CLOCK", "simulated")
os.environ.setdefault("CITYGRID_SCHEDULER", "off")

import evaluation as bulk  # noqa: E402  (bench/evaluation.py: the bulk cases)
import scratch  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from engine.db import get_db  # noqa: E402
from handlers.cases.models import UNIT_COPIES, Case  # noqa: E402
from handlers.categories.catalogue import get_catalogue  # noqa: E402
from handlers.demo import history  # noqa: E402
from handlers.evaluation import periods, report  # noqa: E402
from handlers.evaluation.steps import CaseStep  # noqa: E402
from handlers.supervision import dashboard  # noqa: E402
from handlers.workcalendar.worktime import get_calendar  # noqa: E402

SHANGHAI = timezone(timedelta(hours=8))
DEMO_NOW = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)
BULK_NOW = bulk.NOW                            # 2026-12-31 18:00 Beijing time, a working day's end
CITY = SimpleNamespace(role="auditor", unit_code="350200", username="auditor")
SIMING = SimpleNamespace(role="supervisor", unit_code="350203", username="supervisor-350203")


def timed(fn, repeat):
    seconds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    return seconds


def p95(seconds):
    """The 95th percentile (linear between the closest ranks; with few runs, near the slowest)."""
    ordered = sorted(seconds)
    at = 0.95 * (len(ordered) - 1)
    low = int(at)
    return ordered[low] + (ordered[min(low + 1, len(ordered) - 1)] - ordered[low]) * (at - low)


def shown(seconds):
    return f"median {statistics.median(seconds):.3f} s, p95 {p95(seconds):.3f} s"


def index_bulk_units(db):
    """The case_units rows of the bulk cases (their place, every unit their steps name, and the
    units above those, with the case's columns they hold), as `cases.summary` keeps them for cases
    that went through the engine."""
    with db.unit_of_work() as session:
        session.execute(text(
            "INSERT INTO case_units (case_id, unit_code, reported_at) "
            "SELECT own.case_id, own.unit_code, cases.reported_at FROM ("
            "SELECT id AS case_id, community AS unit_code FROM cases WHERE community IS NOT NULL "
            "UNION SELECT id, grid FROM cases WHERE grid IS NOT NULL "
            "UNION SELECT case_id, unit_code FROM case_steps WHERE unit_code IS NOT NULL "
            "UNION SELECT case_id, target FROM case_steps WHERE target IS NOT NULL) own "
            "JOIN cases ON cases.id = own.case_id"))
        while session.execute(text(     # one level up at a time, until the root
                "INSERT INTO case_units (case_id, unit_code, reported_at) "
                "SELECT DISTINCT cu.case_id, u.parent_code, cu.reported_at FROM case_units cu "
                "JOIN units u ON u.code = cu.unit_code "
                "WHERE u.parent_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM case_units up "
                "WHERE up.case_id = cu.case_id AND up.unit_code = u.parent_code)")).rowcount:
            pass
        copies = ", ".join(UNIT_COPIES)     # the case's columns its units' rows hold
        session.execute(text(f"UPDATE case_units SET ({copies}) = (SELECT {copies} FROM cases "
                             "WHERE cases.id = case_units.case_id)"))


def measure(app, label, args, repeat):
    db, runtime, directory = get_db(app), app.extensions["citygrid.runtime"], app.extensions["citygrid.directory"]
    calendar, catalogue = get_calendar(app), get_catalogue(app)
    with db.reading() as session:
        runtime.clock.sync(session)
        now = runtime.clock.now()
        cases, steps = (session.scalar(select(func.count()).select_from(t)) for t in (Case, CaseStep))
    if args.db == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    month = periods.parse(None, today=report.today_of(runtime))

    def evaluation():
        with db.reading() as session:
            runtime.clock.sync(session)
            return report.compute(session, runtime, directory, calendar, month)

    def board(viewer):
        def run():
            with db.reading() as session:
                runtime.clock.sync(session)
                return dashboard.dashboard(session, runtime, directory, calendar, catalogue, viewer=viewer,
                                           period=month.label)
        return run
    found = board(CITY)()
    print(f"{label}: {cases} cases, {steps} steps; now {now.astimezone(SHANGHAI):%Y-%m-%d %H:%M}, month {month.label}: "
          f"{found['month']['reported']['value']} reported, {found['current']['open']['value']} open, "
          f"{found['current']['overdue']['value']} overdue")
    evaluation_s = timed(evaluation, repeat)
    print(f"  the month's evaluation (report.compute)        {shown(evaluation_s)}")
    for name, viewer in (("the city (auditor)", CITY), ("思明区 (its supervisor)", SIMING)):
        seconds = timed(board(viewer), repeat)
        print(f"  the dashboard of {name:<28} {shown(seconds)} = "
              f"{statistics.median(seconds) / statistics.median(evaluation_s):.2f}x the evaluation")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=3, help="months of demo history, as `demo load` (0: skip)")
    parser.add_argument("--cases", type=int, default=100_000, help="bulk cases (0: skip)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    for kind, now in (("history", DEMO_NOW), ("bulk", BULK_NOW)):
        if (kind == "history" and not args.months) or (kind == "bulk" and not args.cases):
            continue
        with scratch.product(args.db, f"dashboard_{kind}", now) as app:
            db, runtime, directory = get_db(app), app.extensions["citygrid.runtime"], app.extensions["citygrid.directory"]
            t0 = time.perf_counter()
            if kind == "history":
                summary = history.generate(db, runtime, directory, get_calendar(app), months=args.months,
                                           seed=2026, end=now)
                made = f"{summary.cases} cases played through the engine in {time.perf_counter() - t0:.0f} s"
            else:
                bulk.generate(db, directory, args.cases)
                index_bulk_units(db)
                made = f"{args.cases} cases written in bulk in {time.perf_counter() - t0:.0f} s"
            print(f"{args.db}, {made}")
            measure(app, "demo history" if kind == "history" else "bulk", args, args.repeat)


if __name__ == "__main__":
    main()
