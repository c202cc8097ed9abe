"""Benchmark: what verifying a case costs against what running it cost, and a writer beside it.

    .venv/bin/python bench/audit.py [--cases 100] [--db sqlite|postgresql] [--repeat 3]

The product is set up for real on a database of the benchmark's own (bench/scratch.py); --cases
seed lifecycles (report + 11 user steps, bench/lifecycle.py) run through the service layer, one
transaction per step, timed per case. Then `audit verify` of each case as the CLI does it (its own
read-only transaction, handlers/audit/cli.py): the hash chain, the replay, the derived rows; and
the replay alone (engine.replay). Medians over --repeat passes, per case, and the ratios to running
it. Last, reports filed one after the other from a second thread while `verify --all` runs: how
long each took (they must not wait for the verification).
"""
import argparse
import os
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CITYGRID_CLOCK", "simulated")
os.environ.setdefault("CITYGRID_SCHEDULER", "off")

import lifecycle  # noqa: E402  (bench/lifecycle.py: the seed lifecycle through the services)
import scratch  # noqa: E402

from engine.db import get_db  # noqa: E402
from handlers import commands  # noqa: E402
from handlers.audit import cli as audit_cli, verify  # noqa: E402
from handlers.cases import service as cases  # noqa: E402
from handlers.cases.forms import ReportSchema  # noqa: E402
from handlers.org.service import get_user_by_username  # noqa: E402

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=8)))


def per_case_ms(fn, numbers):
    t0 = time.perf_counter()
    for number in numbers:
        fn(number)
    return (time.perf_counter() - t0) / len(numbers) * 1000


def run(app, args):
    db = get_db(app)
    lifecycle.persisted(3, app)                                   # warm: imports, caches
    runs = []
    for _ in range(args.repeat):
        seconds, _latencies = lifecycle.persisted(args.cases, app)
        runs.append(seconds / args.cases * 1000)
    numbers = commands.read(lambda session, runtime: verify.all_case_numbers(session))
    checked = numbers[-args.cases:]

    def verify_one(number):
        result = audit_cli.strict_read(lambda session, runtime: verify.verify_case(session, runtime, number))
        assert result.ok, result

    def replay_one(number):
        def replay(session, runtime):
            result = verify.replay_case(session, runtime, cases.get_by_no(session, number))
            assert result.ok, result
        audit_cli.strict_read(replay)
    verifies = [per_case_ms(verify_one, checked) for _ in range(args.repeat)]
    replays = [per_case_ms(replay_one, checked) for _ in range(args.repeat)]
    ran, verified, replayed = (statistics.median(x) for x in (runs, verifies, replays))
    print(f"{args.db}: {args.cases} seed lifecycles (report + {len(lifecycle.STEPS)} steps), medians of {args.repeat}")
    print(f"  running a case (12 transactions)      {ran:7.1f} ms")
    print(f"  audit verify of it (chain, replay, derived rows) {verified:7.1f} ms = {verified / ran:.2f}x running it")
    print(f"  its replay alone                      {replayed:7.1f} ms = {replayed / ran:.2f}x running it")

    # reports beside `verify --all` over every case
    done, latencies = threading.Event(), []

    def reporter():
        while not done.is_set():
            t0 = time.perf_counter()
            with db.unit_of_work() as session:
                runtime = app.extensions["citygrid.runtime"]
                runtime.clock.sync(session)
                user = get_user_by_username(session, "grid-35020301100301")
                cases.report(session, runtime, app.extensions["citygrid.directory"], user=user,
                             data=ReportSchema().load(lifecycle.REPORT))
            latencies.append(time.perf_counter() - t0)
    writer = threading.Thread(target=reporter)
    t0 = time.perf_counter()
    writer.start()
    count, failures, _ = audit_cli.check_cases(audit_cli.strict_read, numbers)
    done.set()
    writer.join()
    assert not failures, failures
    print(f"  verify --all of {count} cases took {time.perf_counter() - t0:.1f} s; {len(latencies)} reports filed "
          f"beside it, median {statistics.median(latencies) * 1000:.1f} ms, slowest {max(latencies) * 1000:.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with scratch.product(args.db, "audit", NOW) as app:
        run(app, args)


if __name__ == "__main__":
    main()
