"""Real servers for the reliability tests: `flask --app app serve --workers N` (gunicorn, the
documented production command) as child processes on the test's database, with the simulated clock,
each stopped (SIGTERM to its own pid) at the end. Traffic to 127.0.0.1 only."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"
START_SECONDS = 60


class Server:
    """One gunicorn (its master is the child process: `serve` replaces itself with it)."""

    def __init__(self, url, tmp_path, name, workers=1, **env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"{name}.log"
        metrics_dir = tmp_path / f"{name}-metrics"
        metrics_dir.mkdir()
        environment = {**os.environ, "DATABASE_URL": url, "CITYGRID_CLOCK": "simulated", "CITYGRID_SCHEDULER": "off",
                       "SECRET_KEY": "reliability", "CITYGRID_UPLOAD_DIR": str(tmp_path / "uploads"),
                       "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), **env}   # the shipped workers: sync
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(FLASK), "--app", "app", "serve", "--workers", str(workers), "--port", str(self.port)],
            cwd=ROOT, env=environment, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self):
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}: {self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:   # not listening yet, or still booting its workers
                pass
            time.sleep(0.1)   # waiting for a process to start, not for time to pass in the product
        raise RuntimeError(f"server not up after {START_SECONDS} s: {self.log_path.read_text()[-3000:]}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

    def log_lines(self):
        import json
        lines = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines
