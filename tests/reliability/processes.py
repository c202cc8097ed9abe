"""The product's own commands as separate processes (`flask --app app ...`), the way production
runs them: each with the environment of the test's database, its output in a log file, and every
wait bounded in time."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def environment(url, **extra):
    """The environment of a process of the app on the database `url`, in simulated time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYGRID_")}
    env.update(DATABASE_URL=url, CITYGRID_CLOCK="simulated", SECRET_KEY="reliability", PYTHONUNBUFFERED="1",
               **{k: str(v) for k, v in extra.items()})
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command:
    """One `flask --app app ARGS...` process."""

    def __init__(self, args, env, log_path):
        self.args, self.log_path = list(args), Path(log_path)
        self.log = open(self.log_path, "wb")
        self.started = time.monotonic()
        self.process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", *self.args], cwd=ROOT,
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def pid(self):
        return self.process.pid

    def wait(self, timeout):
        """The exit code, waiting at most `timeout` seconds (the process is killed after that)."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{' '.join(self.args)} still running after {timeout} s:\n{self.output()}")
        self.log.close()
        return code

    def alive(self):
        return self.process.poll() is None

    def stop(self, timeout=15):
        """SIGTERM (a graceful stop), then SIGKILL if it does not end in time."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def kill(self):
        """SIGKILL: the process dies on the spot, as in a power cut or an OOM kill."""
        if self.alive():
            self.process.kill()
            self.process.wait(timeout=15)
        self.log.close()

    def output(self):
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")


def wait_until_serving(url, command, timeout=60):
    """Poll `url` until it answers (bounded); fails with the server's output when it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not command.alive():
            raise AssertionError(f"server exited with {command.process.returncode}:\n{command.output()}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server not answering {url} after {timeout} s:\n{command.output()}")
