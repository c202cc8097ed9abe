"""Benchmark: the evaluation (考评) of a month, and of a year, at every level, over N cases.

    .venv/bin/python bench/evaluation.py [--cases 100000] [--db sqlite|postgresql] [--repeat 3]

The product is set up for real (migrations, the shipped processes, the Xiamen org tree); the cases
are then written in bulk straight into the tables the evaluation reads, as the engine would have
left them (a case row, its steps, its penalties; one instance row each), spread over 2026 with
the real mix of outcomes: most handled on time, some late with penalties, reworks, wrong dispatches
returned, a few voided or still open. Nothing goes through the engine, so 100,000 cases set up in under a minute.

Prints, for a month and for the year: the floor (one pass over the period's steps, counting its
cases), and the whole evaluation (every counter's query, the timed figures on the working-day
calendar, the roll-ups, the ranks) with the documents of every level; min / median / max over
--repeat runs, with the ratio to the floor.
"""
import argparse
import os
import random
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

import scratch  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from tqdm import tqdm  # noqa: E402

from engine.db import get_db  # noqa: E402
from engine.models import Deployment, Instance  # noqa: E402
from handlers.cases import deadlines, number_search  # noqa: E402
from handlers.cases.models import Case  # noqa: E402
from handlers.cases.number_search import CaseNoSuffix  # noqa: E402
from handlers.cases.penalties import Penalty  # noqa: E402
from handlers.evaluation import periods, report  # noqa: E402
from handlers.evaluation.steps import CaseStep  # noqa: E402
from handlers.workcalendar.worktime import get_calendar  # noqa: E402

YEAR_START = datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 31, 10, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def paths(directory):
    """(community, [units from the center's first dispatch down to the community]) of every community."""
    found = []
    for community in directory.of_kind("community"):
        chain = list(reversed(directory.ancestors(community)))[1:]    # district, street, community
        found.append((community, chain))
    return found


def generate(db, directory, count, seed=1):
    """Write `count` cases with their instances, steps and penalties in batches."""
    rng = random.Random(seed)
    center = directory.center()
    places = paths(directory)
    departments = directory.of_kind("department")
    with db.unit_of_work() as session:
        deployment_id = session.scalar(select(func.max(Deployment.id)))
        next_id = (session.scalar(select(func.max(Instance.id))) or 0) + 1
    batch = 5000
    seconds = (NOW - YEAR_START).total_seconds()
    for start in tqdm(range(0, count, batch), desc="cases", unit_scale=batch, leave=False):
        instances_, cases, steps, penalties = [], [], [], []
        for i in range(start, min(start + batch, count)):
            case_id = next_id + i
            reported = YEAR_START + timedelta(seconds=rng.uniform(0, seconds - 10 * 86400))
            community, chain = rng.choice(places)
            grid = f"{community}01"
            instances_.append(dict(id=case_id, deployment_id=deployment_id, state="{}", version=1, completed=True,
                                   timers_digest="", event_seq=0, event_hash="0" * 64, created_at=reported,
                                   updated_at=reported))
            case = dict(id=case_id, case_no=f"B{case_id:09d}", instance_id=case_id, channel="grid", external_ref=None,
                        category="200115", description="bench", address="", community=community, grid=grid,
                        lat=None, lng=None, suggested_urgency=None, fixed_on_spot=False,
                        reporter=f"grid-{grid}", reported_at=reported, status="closed", urgency="B",
                        filed_at=None, due_at=None, warn_at=None, due_provisional=False, holder_unit=None,
                        handler_unit=None, reached=[], merged_into=None, closed_at=None, rework_count=0)
            cases.append(case)
            seq = iter(range(1, 100))
            at = reported + HOUR / 6

            def step(name, outcome, unit, actor, when, status, target=None, role="officer", due=None, handler=None):
                steps.append(dict(case_id=case_id, seq=next(seq), at=when, step=name, outcome=outcome, unit_code=unit,
                                  role=role, actor=actor, target=target, opened_at=when - HOUR / 2,
                                  due_at=due, handler=handler, status=status))
            r = rng.random()
            if r < 0.06:                                            # voided
                step("accept_report", "void", center, "intake", at, "voided", role="intake")
                case.update(status="voided", closed_at=at)
                continue
            due = at + timedelta(days=rng.choice((1, 2, 4)))
            case.update(filed_at=at, due_at=due, warn_at=at + (due - at) * 0.8)
            step("accept_report", "file", center, "intake", at, "dispatching", role="intake", due=due)
            handler_chain = [rng.choice(departments)] if rng.random() < 0.15 else chain[:rng.choice((2, 3))]
            holder = center
            if rng.random() < 0.05:                                 # a wrong dispatch, returned
                wrong = rng.choice(departments)
                at += HOUR / 4
                step("dispatch", "assign", center, "dispatcher", at, "dispatching", target=wrong, role="dispatcher",
                     due=due)
                at += HOUR
                step("dispatch", "return", wrong, f"officer-{wrong}", at, "dispatching", due=due)
            for unit in handler_chain:
                at += HOUR / 4
                step("dispatch", "assign", holder, "dispatcher" if holder == center else f"officer-{holder}", at,
                     "dispatching", target=unit, role="dispatcher" if holder == center else "officer", due=due)
                holder = unit
            at += HOUR / 4
            step("dispatch", "handle", holder, f"officer-{holder}", at, "handling", due=due, handler=holder)
            if r > 0.97:                                            # still open
                case.update(status="handling", holder_unit=holder, handler_unit=holder)
                continue
            late = rng.random() < 0.25
            handled = due + timedelta(hours=rng.uniform(1, 60)) if late else at + (due - at) * rng.uniform(0.2, 0.9)
            if rng.random() < 0.1:                                  # a failed check, then rework
                step("handle", "done", holder, f"officer-{holder}", handled - HOUR * 2, "checking", due=due,
                     handler=holder)
                step("check_result", "failed", community, f"grid-{grid}", handled - HOUR, "handling", role="grid",
                     due=due, handler=holder)
                penalties.append(dict(case_id=case_id, unit_code=holder, points=0.5, reason="rework",
                                      occurrence=f"task@{case_id}", at=handled - HOUR, due_at=handled - HOUR))
            step("handle", "done", holder, f"officer-{holder}", handled - HOUR / 2, "checking", due=due, handler=holder)
            step("check_result", "passed", community, f"grid-{grid}", handled, "closing", role="grid", due=due,
                 handler=holder)
            if late:
                penalties.append(dict(case_id=case_id, unit_code=holder, points=1.0, reason="overdue",
                                      occurrence=f"overdue_timer@{due.isoformat()}", at=due, due_at=due))
            at = handled + HOUR
            step("close_case", "closed", center, "shiftlead", at, "closed", role="shiftlead", due=due,
                 handler=holder)
            case.update(status="closed", closed_at=at, handler_unit=holder)
        with db.unit_of_work() as session:
            connection = session.connection()
            connection.execute(insert(Instance.__table__), instances_)
            for case in cases:              # as cases.summary derives it
                case["overdue_from"] = deadlines.overdue_from(case.get("due_at"), case.get("closed_at"))
            connection.execute(insert(Case.__table__), cases)
            connection.execute(insert(CaseNoSuffix.__table__),
                               [row for case in cases for row in number_search.rows(case["id"], case["case_no"])])
            connection.execute(insert(CaseStep.__table__), steps)
            if penalties:
                connection.execute(insert(Penalty.__table__), penalties)


def timed(fn, repeat):
    seconds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - t0)
    return result, seconds


def figures(seconds):
    return f"min {min(seconds):.3f} s, median {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with scratch.product(args.db, "evaluation", NOW) as app:
        run(app, args)


def run(app, args):
    db, runtime, directory = get_db(app), app.extensions["citygrid.runtime"], app.extensions["citygrid.directory"]
    t0 = time.perf_counter()
    generate(db, directory, args.cases)
    set_up = time.perf_counter() - t0
    with db.reading() as session:
        counts = [session.scalar(select(func.count()).select_from(t)) for t in (Case, CaseStep, Penalty)]
    if args.db == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    print(f"{args.db}: {counts[0]} cases, {counts[1]} steps, {counts[2]} penalties (written in {set_up:.1f} s)")
    calendar = get_calendar(app)
    viewer = SimpleNamespace(role="auditor", unit_code=directory.center(), username="bench")
    for label in ("2026-11", "2026"):
        period = periods.parse(label, today=NOW.date())

        def floor():     # one pass over the period's steps: the least any evaluation reads
            with db.reading() as session:
                return session.scalar(select(func.count(func.distinct(CaseStep.case_id))).where(
                    CaseStep.at >= period.start, CaseStep.at < period.end))

        def whole():
            with db.reading() as session:
                runtime.clock.sync(session)
                evaluation = report.compute(session, runtime, directory, calendar, period)
                return evaluation, [report.document(session, evaluation, directory, level=level, viewer=viewer)
                                    for level in report.LEVELS]
        live, floor_s = timed(floor, args.repeat)
        (evaluation, documents), whole_s = timed(whole, args.repeat)
        rows = sum(len(d["rows"]) for d in documents)
        print(f"{label:8}: {live} cases with steps in the period; one pass over them {figures(floor_s)}")
        print(f"{'':8}  the whole evaluation, every level ({rows} rows): {figures(whole_s)} "
              f"= {statistics.median(whole_s) / statistics.median(floor_s):.1f}x the pass"
              + ("  (target for a month on PostgreSQL: < 1 s)" if label != "2026" else ""))


if __name__ == "__main__":
    main()
