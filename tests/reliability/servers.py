"""The product served by real server processes, and clients that retry the way a phone app or a
hotline gateway would, for the reliability tests. Traffic goes to 127.0.0.1 only, and every wait
is bounded in time.

A server is one process started by `server_command` on its own port (today `flask --app app serve`,
Werkzeug, threaded); a `Farm` is several of them on one database, the way a load balancer would
spread requests over them. To run the tests on gunicorn workers instead, make `server_command` the
gunicorn command line (one worker per Server, or one master whose worker pids `Server.kill` kills)."""
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 60          # a server process is up and answering within this
REQUEST_SECONDS = 30        # one HTTP request


def server_command(port):
    """The command line of one server process listening on 127.0.0.1:`port`."""
    return [sys.executable, "-m", "flask", "--app", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]


def server_env(database_url, upload_dir):
    """The environment of a server process: the test's database, simulated time (set through the
    database by the test), no in-process scheduler, photos in the test's folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITYGRID_", "FLASK_"))}
    env.update(DATABASE_URL=database_url, CITYGRID_CLOCK="simulated", CITYGRID_SCHEDULER="off",
               CITYGRID_UPLOAD_DIR=str(upload_dir), SECRET_KEY="reliability-tests", PYTHONUNBUFFERED="1")
    return env


class Server:
    """One server process on a fixed port; killed and started again on the same port."""

    def __init__(self, port, env, log_path):
        self.port, self.env, self.log_path = port, env, Path(log_path)
        self.url = f"http://127.0.0.1:{port}"
        self.process = None
        self.starts = 0

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def start(self):
        assert not self.alive()
        self.starts += 1
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(server_command(self.port), cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            log.close()

    def wait_ready(self):
        """Until the server answers (its login page needs no database), at most READY_SECONDS."""
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"server on port {self.port} exited: {self.log()[-3000:]}")
            try:
                if requests.get(self.url + "/login", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server on port {self.port} not ready in {READY_SECONDS} s: {self.log()[-3000:]}")

    def kill(self):
        """kill -9: no clean-up, requests in flight are cut off."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Farm:
    """`count` servers on one database."""

    def __init__(self, count, database_url, folder):
        folder = Path(folder)
        env = server_env(database_url, folder / "uploads")
        self.servers = [Server(free_port(), env, folder / f"server-{i}.log") for i in range(count)]

    @property
    def urls(self):
        return [s.url for s in self.servers]

    def start(self):
        for server in self.servers:
            server.start()
        for server in self.servers:
            server.wait_ready()
        return self

    def kill_and_restart(self, index):
        server = self.servers[index]
        server.kill()
        server.start()
        server.wait_ready()

    def stop(self):
        for server in self.servers:
            server.stop()

    def logs(self):
        return "\n".join(s.log() for s in self.servers)


@dataclass
class Answer:
    """The final answer to one logical request, and what was retried on the way to it."""

    response: requests.Response | None
    attempts: int = 0
    connection_errors: int = 0
    cut_off: list = field(default_factory=list)         # what each connection error was
    unavailable: list = field(default_factory=list)     # the 503 responses met on the way

    @property
    def status(self):
        return self.response.status_code if self.response is not None else None


# No answer, or only part of one: refused, reset, cut off mid-answer, or no answer in time.
TRANSPORT_ERRORS = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout)


class Client:
    """One client thread's HTTP: a keep-alive session per server; retries only on a connection
    error (a server killed or down: try the next one) and on 503 (wait as Retry-After says, at most
    `max_wait` to keep the tests short). Any other answer is final."""

    def __init__(self, urls, token, first=0, max_wait=0.5, max_attempts=200, give_up_after=120):
        self.urls, self.token, self.index = list(urls), token, first % len(urls)
        self.max_wait, self.max_attempts, self.give_up_after = max_wait, max_attempts, give_up_after
        self.sessions = {url: requests.Session() for url in self.urls}

    def send(self, method, path, **kwargs) -> Answer:
        answer, deadline = Answer(None), time.monotonic() + self.give_up_after
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        while answer.attempts < self.max_attempts and time.monotonic() < deadline:
            answer.attempts += 1
            url = self.urls[self.index]
            try:
                response = self.sessions[url].request(method, url + path, headers=headers, timeout=REQUEST_SECONDS,
                                                      **kwargs)
            except TRANSPORT_ERRORS as exc:
                answer.connection_errors += 1
                answer.cut_off.append(type(exc).__name__)
                self.sessions[url].close()
                self.index = (self.index + 1) % len(self.urls)
                time.sleep(0.02)
                continue
            if response.status_code == 503:
                answer.unavailable.append(response)
                time.sleep(min(float(response.headers.get("Retry-After", "1")), self.max_wait))
                continue
            answer.response = response
            return answer
        return answer

    def close(self):
        for session in self.sessions.values():
            session.close()


def hotline_report(ref):
    """A 12345 report on 盈翠社区 with its own external_ref."""
    return {"category": "200509", "description": f"市民来电：占道经营 {ref}", "address": "思明区嘉莲街道",
            "community": "350203011003", "external_ref": ref}


class HotlineReports:
    """Distinct hotline reports fed to client threads: `client(i)` (a run_threads target) posts the
    next ref until none is left; `answers` maps each ref to its Answer, `answered` counts them."""

    def __init__(self, urls, token, refs):
        self.urls, self.token = urls, token
        self.refs = queue.Queue()
        for ref in refs:
            self.refs.put(ref)
        self.answers, self.answered, self._lock = {}, 0, threading.Lock()

    def client(self, i):
        http = Client(self.urls, self.token, first=i)
        try:
            while True:
                try:
                    ref = self.refs.get_nowait()
                except queue.Empty:
                    return
                answer = http.send("POST", "/api/v1/intake/hotline12345", json=hotline_report(ref))
                with self._lock:
                    self.answers[ref] = answer
                    self.answered += 1
        finally:
            http.close()

    def first(self):
        """The first answer given (while the clients still write to `answers`)."""
        with self._lock:
            return next(iter(self.answers.values()))


def run_threads(count, target, seconds):
    """target(i) in `count` threads; all joined within `seconds`, and none raised (asserted)."""
    raised = []

    def run(i):
        try:
            target(i)
        except BaseException as exc:   # noqa: BLE001  (reported below, in the test's thread)
            raised.append(exc)
    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"client threads still running after {seconds} s"
    if raised:
        raise raised[0]
