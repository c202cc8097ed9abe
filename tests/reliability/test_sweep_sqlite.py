"""The default set-up (SQLite, `serve` with its in-process scheduler) sweeping a backlog of 600
overdue cases while 16 clients work over HTTP: no request waits more than a few seconds behind the
sweep, and none is refused with a 409 (no two clients touch one case, so there is no real conflict
to report; a lock that waited too long must not pass for one)."""
import statistics
import threading
import time

import pytest
import requests
from sqlalchemy import func, select

from engine.models import Timer
from handlers.cases.penalties import Penalty
from tests.conftest import make_app
from tests.helpers import City, SEWAGE, at
from tests.reliability import backlog
from tests.reliability.processes import Command, environment, free_port, wait_until_serving

pytestmark = pytest.mark.reliability

BACKLOG = 600                # keeps the sweep busy while the clients work (1,000 took minutes)
CLIENTS = 16
SLOWEST_ALLOWED = 3.0       # seconds for one request
LOAD_SECONDS = 40           # the clients work this long at most (the sweep is then well under way)
RUN_LIMIT = 150             # seconds for the backlog to clear, however slow the machine
DUE = at("2026-03-03 16:10")


def bounded_wait(condition, seconds):
    """Poll `condition` until it holds (True) or `seconds` have passed (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def token(city, username):
    result = city.app.test_cli_runner().invoke(args=["users", "token", username])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


class Load:
    """The clients' requests: (seconds, status, what) of each, and the unexpected answers."""

    def __init__(self, base):
        self.base, self.lock, self.calls, self.unexpected = base, threading.Lock(), [], []
        self.stop = threading.Event()

    def call(self, http, method, path, token, expected, what, **kwargs):
        started = time.monotonic()
        response = http.request(method, self.base + path, headers={"Authorization": f"Bearer {token}"},
                                timeout=30, **kwargs)
        took = time.monotonic() - started
        with self.lock:
            self.calls.append((took, response.status_code, what))
            if response.status_code != expected:
                self.unexpected.append((what, response.status_code, response.text[:300]))
        return response if response.status_code == expected else None

    def reporter(self, grid_token, intake_token, n):
        """Report a case, read it back, then file it: new work beside the sweep."""
        http = requests.Session()
        for i in range(10_000):
            if self.stop.is_set():
                return
            made = self.call(http, "POST", "/api/v1/cases", grid_token, 201, "report",
                             json=dict(SEWAGE, description=f"客户端{n}第{i}次上报：路面积水"))
            if made is None:
                continue
            case_no = made.json()["case_no"]
            self.call(http, "GET", f"/api/v1/cases/{case_no}", grid_token, 200, "read")
            tasks = self.call(http, "GET", f"/api/v1/tasks?case={case_no}", intake_token, 200, "tasks")
            if tasks is not None and tasks.json():
                self.call(http, "POST", f"/api/v1/tasks/{tasks.json()[0]['id']}/complete", intake_token, 200,
                          "accept", json={"decision": "file", "urgency": "B"})

    def dispatcher(self, dispatcher_token, case_numbers, others):
        """Dispatch overdue backlog cases (this client's own share) while the sweep fires them,
        then read other backlog cases as they change."""
        http = requests.Session()
        for case_no in case_numbers:
            if self.stop.is_set():
                return
            tasks = self.call(http, "GET", f"/api/v1/tasks?case={case_no}", dispatcher_token, 200, "tasks")
            open_dispatch = [t for t in (tasks.json() if tasks is not None else []) if t["step"] == "dispatch"]
            if open_dispatch:
                self.call(http, "POST", f"/api/v1/tasks/{open_dispatch[0]['id']}/complete", dispatcher_token, 200,
                          "dispatch", json={"action": "assign", "unit": "350203"})
        for case_no in others:
            if self.stop.is_set():
                return
            self.call(http, "GET", f"/api/v1/cases/{case_no}", dispatcher_token, 200, "read")


def test_a_backlog_sweep_on_sqlite_keeps_every_request_short(tmp_path):
    url = f"sqlite:///{tmp_path / 'city.db'}"
    city = City(make_app(url))
    city.setup()
    template = backlog.file_case(city, "2026-03-02 16:05", "2026-03-02 16:10")     # due Tue 16:10
    numbers = [template, *backlog.clone(city, template, BACKLOG - 1)]
    tokens = {name: token(city, name) for name in ("grid-35020301100301", "intake", "dispatcher")}
    city.set_clock("2026-03-03 16:00")                      # the warnings (14:46) are due: sweep them first
    assert city.sweep().instances == BACKLOG
    city.set_clock("2026-03-03 16:05")

    port = free_port()
    server = Command(["serve", "--port", str(port)], environment(url, CITYGRID_SWEEP_SECONDS=1,
                                                                 CITYGRID_UPLOAD_DIR=tmp_path / "uploads"),
                     tmp_path / "serve.log")
    load = Load(f"http://127.0.0.1:{port}")
    threads = []
    try:
        wait_until_serving(f"{load.base}/api/openapi.json", server)
        dispatched = numbers[:8 * 40]
        for n in range(CLIENTS):
            if n % 2:
                target, args = load.reporter, (tokens["grid-35020301100301"], tokens["intake"], n)
            else:
                target, args = load.dispatcher, (tokens["dispatcher"], dispatched[n // 2::8], numbers[320 + n::8])
            threads.append(threading.Thread(target=target, args=args, daemon=True))
        [t.start() for t in threads]
        bounded_wait(lambda: len(load.calls) >= CLIENTS, 30)   # every client is at work
        city.set_clock("2026-03-03 16:30")                   # the backlog falls due: the scheduler sweeps it
        moved = time.monotonic()

        def due():
            return city.work(lambda s: s.scalar(select(func.count()).select_from(Timer).where(Timer.due_at <= DUE)))
        bounded_wait(lambda: due() == 0, LOAD_SECONDS)
        under_load, left = time.monotonic() - moved, due()
        load.stop.set()
        [t.join(40) for t in threads]
        cleared = bounded_wait(lambda: due() == 0, RUN_LIMIT) and time.monotonic() - moved
    finally:
        load.stop.set()
        [t.join(40) for t in threads]
        server.stop()
    calls = sorted(load.calls)
    took = [c[0] for c in calls]
    quantiles = statistics.quantiles(took, n=100, method="inclusive")
    by_kind = {}
    for seconds, _, what in calls:
        by_kind.setdefault(what, []).append(seconds)
    print(f"\nSQLite, {BACKLOG} overdue cases, {CLIENTS} clients for {under_load:.0f} s ({BACKLOG - left} swept "
          f"meanwhile), backlog cleared after {cleared or float('nan'):.1f} s; {len(calls)} requests, "
          f"p50 {quantiles[49] * 1000:.0f} ms, p95 {quantiles[94] * 1000:.0f} ms, p99 {quantiles[98] * 1000:.0f} ms, "
          f"slowest {took[-1]:.2f} s ({calls[-1][2]})")
    for what, seconds in sorted(by_kind.items()):
        print(f"  {what:9} {len(seconds):5} requests, slowest {max(seconds):.2f} s")

    assert not any(t.is_alive() for t in threads)
    assert cleared, f"the backlog was not swept within {RUN_LIMIT} s:\n{server.output()[-3000:]}"
    assert load.unexpected == [], load.unexpected[:10]
    assert not [c for c in calls if c[1] == 409]
    assert took[-1] < SLOWEST_ALLOWED, calls[-5:]
    assert len(by_kind.get("dispatch", ())) > 0 and len(by_kind.get("accept", ())) > 0
    assert BACKLOG - left > 100                              # the sweep made headway under the load
    # every backlog case was penalised exactly once for being overdue
    overdue = city.work(lambda s: s.execute(select(Penalty.case_id, func.count()).where(Penalty.reason == "overdue")
                                            .group_by(Penalty.case_id)).all())
    assert len(overdue) == BACKLOG and {n for _, n in overdue} == {1}
    city.db.dispose()
