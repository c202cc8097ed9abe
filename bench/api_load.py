"""Benchmark: the API over HTTP against gunicorn on PostgreSQL, with 1 and then 16 clients, and the
lateness of timers falling due while the 16 clients run.

    .venv/bin/python bench/api_load.py [--seconds 20] [--workers 4] [--clients 16] [--timers 30] [--think 1]

Sets the product up for real on a PostgreSQL schema of its own (migrations, the shipped processes,
the Xiamen org tree; TEST_DATABASE_URL or the local server), starts `flask --app app serve --workers N`
(gunicorn, the production command) on the real clock with no sweep in its workers, and beside it one
sweeper process (the in-process scheduler, every CITYGRID_SWEEP_SECONDS, default 5).

Each client repeats one case's first two steps for `--seconds`: a grid worker's report
(`POST /api/v1/cases`, its own `external_ref`) and the intake's accept (`POST /api/v1/tasks/<id>/complete`,
filed with urgency B). Three phases: 1 client back to back; 16 clients back to back (the server
saturated: its throughput, and latency as a queue of 16 on its cores); 16 clients at a working pace,
each pausing a random think time between its cases (exponential, mean `--think` seconds: people
filing and accepting, not a load generator), whose p99 against the single client's p50 is the
latency a user sees under concurrent use. Before the saturating 16 clients start, `--timers` cases
filed beforehand get their warning instant (warn_at, the 黄灯 timer) moved into the run, spread
over it (the way `calendar recompute` moves timers: a recorded data change); afterwards each
firing's lateness is its recorded instant minus its due instant. Prints throughput, p50/p95/p99 per operation, errors by kind,
the app's own time of the same requests (each request carries an `X-Request-Id`, the server's JSON
request log its `duration_ms`) beside the rest of the wait (for a worker, a core), and the lateness
of every timer (target: at most the sweep interval + 1 s).
"""
import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import requests  # noqa: E402
import scratch  # noqa: E402

GRID_USER, GRID = "grid-35020301100301", "35020301100301"
REPORT = {"channel": "grid", "category": "200115", "description": "明发商业广场台球馆门口污水横流",
          "address": "思明区嘉莲街道明发商业广场", "grid": GRID}
START_SECONDS = 90


def app_for(url, **extra):
    os.environ.update({"DATABASE_URL": url, "CITYGRID_CLOCK": "real", "CITYGRID_SCHEDULER": "off", **extra})
    from app import create_app
    return create_app()


def setup(url, timers):
    """Migrate, deploy, load the org tree; file `timers` cases whose warning timer the run moves."""
    from engine import cli as engine_cli
    from engine.db import get_db
    from handlers.demo import tree
    from tests.helpers import City

    app = app_for(url)
    engine_cli.upgrade(app)
    with get_db(app).unit_of_work() as session:
        tree.load(session)
    city = City(app)
    city.directory.invalidate()
    filed = []
    for i in range(timers):
        case_no = city.report(external_ref=f"bench-timer-{i}")
        city.complete(case_no, "accept_report", "intake", decision="file", urgency="C")
        filed.append(case_no)
    return app, city, filed


def move_warnings(city, case_nos, first, last):
    """Put each case's warning instant between `first` and `last` (real clock); returns {case: due}."""
    from engine import instances
    from handlers import localtime
    from handlers.cases import service as cases

    due = {}
    step = (last - first) / max(1, len(case_nos) - 1)
    for i, case_no in enumerate(case_nos):
        at = (first + step * i).replace(microsecond=0)

        def move(session, case_no=case_no, at=at):
            case = cases.get_by_no(session, case_no)
            loaded = instances.load(session, city.runtime, case.instance_id, actor="bench")
            instances.update_data(loaded, {"warn_at": localtime.isoformat(at)}, reason="bench: due during the run",
                                  external=True)
            instances.save(session, city.runtime, loaded)
        city.work(move)
        due[case_no] = at
    return due


def lateness(city, due):
    """{case: seconds late} of the warning timers that fired (None: not fired)."""
    from sqlalchemy import select
    from engine.models import Event
    from handlers.cases import service as cases

    def read(session):
        found = {}
        for case_no, at in due.items():
            instance_id = cases.get_by_no(session, case_no).instance_id
            found[case_no] = None
            for event in session.scalars(select(Event).where(Event.instance_id == instance_id,
                                                             Event.kind == "timers_fired")):
                if any(t["timer"] == "warning_timer" for t in event.data["timers"]):
                    found[case_no] = (event.at - at).total_seconds()
        return found
    return city.work(read)


def _message(response):
    try:
        return response.json()["error"][:40]
    except (ValueError, KeyError, TypeError):
        return response.text[:40]


def percentile(values, share):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Client(threading.Thread):
    """One client: report, then accept what it reported, until the deadline."""

    def __init__(self, base, tokens, name, deadline, results, think=0.0):
        super().__init__(daemon=True)
        self.base, self.tokens, self.name, self.deadline, self.results = base, tokens, name, deadline, results
        self.think, self.pace = think, random.Random(name)     # the same pauses on every run
        self.calls = 0

    def call(self, kind, who, path, body):
        self.calls += 1
        request_id = f"{self.name}-{self.calls}"     # the server's log line of it has the same id
        started = time.perf_counter()
        try:
            response = self.http.post(self.base + path, json=body, timeout=60,
                                      headers={"Authorization": f"Bearer {self.tokens[who]}", "X-Request-Id": request_id})
        except requests.RequestException as exc:
            self.results.append((kind, time.perf_counter() - started, type(exc).__name__, request_id))
            return None
        elapsed = time.perf_counter() - started
        ok = response.status_code in (200, 201)
        self.results.append((kind, elapsed, None if ok else f"{response.status_code} {_message(response)}", request_id))
        return response.json() if ok else None

    def run(self):
        self.http = requests.Session()
        n = 0
        while time.monotonic() < self.deadline:
            n += 1
            case = self.call("report", "grid", "/api/v1/cases", {**REPORT, "external_ref": f"{self.name}-{n}"})
            if case is None:
                continue
            accept = [t for t in case["open_tasks"] if t["step"] == "accept_report"]
            if accept:
                self.call("complete", "intake", f"/api/v1/tasks/{accept[0]['id']}/complete",
                          {"decision": "file", "urgency": "B"})
            if self.think:
                time.sleep(min(self.pace.expovariate(1 / self.think), max(0.0, self.deadline - time.monotonic())))
        self.http.close()


def phase(base, tokens, clients, seconds, label, think=0.0):
    results = []
    deadline = time.monotonic() + seconds
    threads = [Client(base, tokens, f"{label}-c{i}", deadline, results, think) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return results, time.perf_counter() - started


def server_times(log_path):
    """{request id: ms the app took} from the server's JSON request log (its `duration_ms`)."""
    found = {}
    with open(log_path, encoding="utf-8") as log:
        for line in log:
            if '"duration_ms"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("request_id"):
                found[entry["request_id"]] = entry["duration_ms"]
    return found


def report_phase(label, results, wall, served=None):
    ok = [r for r in results if r[2] is None]
    print(f"\n{label}: {len(results)} requests in {wall:.1f} s, {len(ok) / wall:.1f} ok/s")
    for kind in ("report", "complete", None):
        times = [r[1] * 1000 for r in ok if kind is None or r[0] == kind]
        name = kind or "all"
        print(f"  {name:<9} n={len(times):<5} p50 {percentile(times, .5):7.1f} ms  p95 {percentile(times, .95):7.1f} ms"
              f"  p99 {percentile(times, .99):7.1f} ms")
    if served:
        # the app's own time against what the client waited: the rest is the wait for a worker and
        # a core (and the client's own share of them), outside the app
        inside = [served[r[3]] for r in ok if r[3] in served]
        outside = [r[1] * 1000 - served[r[3]] for r in ok if r[3] in served]
        print(f"  in the app n={len(inside):<5} p50 {percentile(inside, .5):7.1f} ms  p95 {percentile(inside, .95):7.1f} ms"
              f"  p99 {percentile(inside, .99):7.1f} ms;  outside it p50 {percentile(outside, .5):.1f} ms,"
              f" p99 {percentile(outside, .99):.1f} ms")
    errors = Counter(f"{r[0]}: {r[2]}" for r in results if r[2] is not None)
    print("  errors: " + (", ".join(f"{n} × {kind}" for kind, n in errors.most_common()) if errors else "none"))
    return [r[1] for r in ok]


def start(cmd, env, log):
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()


def sweeper():
    """The sweeper process (`--sweeper`): the in-process scheduler on the environment's database."""
    from engine import scheduler
    app = app_for(os.environ["DATABASE_URL"])
    running = scheduler.start(app)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    running.shutdown(wait=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--timers", type=int, default=30)
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds a client pauses between its cases in the working-pace phase")
    parser.add_argument("--sweeper", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sweeper:
        return sweeper()
    interval = float(os.environ.get("CITYGRID_SWEEP_SECONDS", "5"))
    with tempfile.TemporaryDirectory() as tmp, scratch.database_url("postgresql", tmp, "api_load") as url:
        t0 = time.perf_counter()
        app, city, filed = setup(url, args.timers)
        print(f"set up in {time.perf_counter() - t0:.1f} s: {len(filed)} filed cases for the timers")
        env = {**os.environ, "DATABASE_URL": url, "CITYGRID_CLOCK": "real", "CITYGRID_SCHEDULER": "off",
               "SECRET_KEY": "bench", "CITYGRID_UPLOAD_DIR": f"{tmp}/uploads",
               "CITYGRID_SWEEP_SECONDS": str(interval), "PROMETHEUS_MULTIPROC_DIR": f"{tmp}/metrics"}
        os.makedirs(f"{tmp}/metrics")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        with open(f"{tmp}/server.log", "w") as server_log, open(f"{tmp}/sweeper.log", "w") as sweeper_log:
            server = start([str(Path(sys.executable).parent / "flask"), "--app", "app", "serve",
                            "--workers", str(args.workers), "--port", str(port)], env, server_log)
            sweeping = start([sys.executable, str(Path(__file__).resolve()), "--sweeper"], env, sweeper_log)
            try:
                _wait_up(base, server)
                tokens = {"grid": _login(base, GRID_USER), "intake": _login(base, "intake")}
                print(f"gunicorn: {args.workers} workers × {os.environ.get('CITYGRID_THREADS', '1')} threads; "
                      f"sweeper every {interval:g} s; {args.seconds:g} s per phase")
                single, wall = phase(base, tokens, 1, args.seconds, "one")
                single_ok = report_phase("1 client", single, wall, server_times(f"{tmp}/server.log"))
                first = datetime.now(timezone.utc) + timedelta(seconds=2)
                due = move_warnings(city, filed, first, first + timedelta(seconds=max(1.0, args.seconds - 3)))
                many, wall = phase(base, tokens, args.clients, args.seconds, "many")
                many_ok = report_phase(f"{args.clients} clients, back to back", many, wall, server_times(f"{tmp}/server.log"))
                _wait_fired(city, due, interval)
                paced, wall = phase(base, tokens, args.clients, args.seconds, "paced", think=args.think)
                paced_ok = report_phase(f"{args.clients} clients at a working pace (think {args.think:g} s)",
                                        paced, wall, server_times(f"{tmp}/server.log"))
                peaks = [peak_rss(pid) for pid in children(server.pid)]
                print(f"peak RSS of each gunicorn worker: {', '.join(f'{p / 1024:.0f} MiB' for p in sorted(peaks))}; "
                      f"of the sweeper: {peak_rss(sweeping.pid) / 1024:.0f} MiB")
            finally:
                stop(server)
                stop(sweeping)
        late = lateness(city, due)
        fired = [v for v in late.values() if v is not None]
        print(f"\ntimers due during the {args.clients}-client phase: {len(due)}, fired {len(fired)}"
              + (f", lateness p50 {statistics.median(fired):.2f} s, max {max(fired):.2f} s "
                 f"(target ≤ {interval + 1:g} s)" if fired else ""))
        if single_ok and many_ok and paced_ok:
            p50 = percentile(single_ok, .5)
            print(f"p99 with {args.clients} clients / p50 with 1 client: back to back "
                  f"{percentile(many_ok, .99) / p50:.1f}x, at a working pace {percentile(paced_ok, .99) / p50:.1f}x "
                  f"(target ≤ 3x)")
            # Little's law: n requests in flight on c cores of work s each wait about n·s/c.
            print(f"  (back to back, {args.clients} requests in flight share {os.cpu_count()} cores: "
                  f"each waits for about {args.clients / os.cpu_count():.0f} others' work)")
        app.extensions["citygrid.db"].dispose()


def children(pid):
    """The ids of the processes whose parent is `pid` (gunicorn's workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:          # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def peak_rss(pid):
    """Peak resident memory of a process in KiB (VmHWM), 0 when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def _free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_up(base, process):
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:   # not listening yet, or still booting its workers
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _login(base, username):
    response = requests.post(base + "/api/v1/auth/token", json={"username": username, "password": "demo"}, timeout=30)
    response.raise_for_status()
    return response.json()["token"]


def _wait_fired(city, due, interval):
    """Give the last timers one more sweep (bounded) before reading their firings."""
    deadline = time.monotonic() + interval + 5
    while time.monotonic() < deadline and None in lateness(city, due).values():
        time.sleep(0.5)


if __name__ == "__main__":
    main()
