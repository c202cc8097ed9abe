"""Graceful restarts of the production server: SIGHUP (`systemctl reload citygrid`) to gunicorn
started by `serve --workers`, on PostgreSQL."""
import signal
import time

import pytest
import requests

from tests.conftest import _postgres_url, make_app
from tests.helpers import City
from tests.reliability.gunicorn_server import Server

pytestmark = pytest.mark.reliability


def test_a_graceful_restart_answers_every_request_and_replaces_the_workers(request, tmp_path):
    """SIGHUP to gunicorn (`systemctl reload`): new workers, and no request refused meanwhile; every
    worker settled before it answered."""
    url = _postgres_url(request)
    app = make_app(url)
    City(app).setup()
    server = Server(url, tmp_path, "hup", workers=2).wait_ready()
    try:
        http = requests.Session()

        def answered_by():
            return {line["pid"] for line in server.log_lines() if line.get("route") == "/readyz"}

        def booted():
            return {int(line["message"].rsplit(" ", 1)[1]) for line in server.log_lines()
                    if line.get("message", "").startswith("Booting worker with pid")}

        def settled():      # engine.settle, from gunicorn's post_worker_init: before a worker's first request
            return {line["pid"] for line in server.log_lines()
                    if line.get("logger") == "engine.settle" and line["message"].startswith("settled:")}
        for _ in range(10):
            assert http.get(server.base + "/readyz", timeout=30).status_code == 200
        old = booted()
        assert len(old) == 2 and answered_by() <= old
        assert answered_by() <= settled()       # (a booted worker that answered nothing may be settling still)
        server.process.send_signal(signal.SIGHUP)
        answers, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline and len(answers) < 2000:    # bounded in count and time
            answers.append(http.get(server.base + "/readyz", timeout=30).status_code)
            if len(answers) >= 20 and answered_by() - old:
                break
        assert set(answers) == {200}
        assert len(booted() - old) == 2 and answered_by() - old, "no new worker answered after SIGHUP"
        assert answered_by() <= settled()
    finally:
        server.stop()
        app.extensions["citygrid.db"].dispose()
