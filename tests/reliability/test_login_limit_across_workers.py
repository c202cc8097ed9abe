"""The login limit holds across processes: two gunicorn servers (the documented `serve --workers`)
on one PostgreSQL database, the attempts alternating between them; time moved on the simulated
clock, never by sleeping."""
import re
from datetime import timedelta

import pytest
import requests

from tests.conftest import _postgres_url, make_app
from tests.helpers import City
from tests.reliability.gunicorn_server import Server

pytestmark = pytest.mark.reliability
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def two_servers(request, tmp_path):
    url = _postgres_url(request)
    app = make_app(url)
    city = City(app)
    city.setup()
    city.set_clock("2026-03-02 09:00")
    servers = [Server(url, tmp_path, name) for name in ("a", "b")]
    try:
        for server in servers:
            server.wait_ready()
        yield city, servers
    finally:
        for server in servers:
            server.stop()
        app.extensions["citygrid.db"].dispose()


def test_the_sixth_wrong_password_is_refused_whichever_process_answers(two_servers):
    city, (a, b) = two_servers
    api = requests.Session()

    def login(server, password, username="grid-35020301100301"):
        return api.post(f"{server.base}/api/v1/auth/token", json={"username": username, "password": password},
                        timeout=30)

    for server in (a, b, a, b, a):
        assert login(server, "guess").status_code == 401
    for server in (b, a):
        refused = login(server, "guess")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "60", refused.text
    assert login(b, "demo").status_code == 429

    # The web form, on the same two servers (one browser: its cookie goes to both)
    browser = requests.Session()
    csrf = TOKEN.search(browser.get(f"{a.base}/login", timeout=30).text)[1]

    def form(server, password):
        return browser.post(f"{server.base}/login", data={"username": "dispatcher", "password": password,
                                                           "csrf_token": csrf}, allow_redirects=False, timeout=30)
    for server in (b, a, b, a, b):
        assert form(server, "guess").status_code == 401
    locked = form(a, "demo")
    assert locked.status_code == 429 and "登录失败次数过多，请 60 秒后再试" in locked.text
    assert locked.headers["Retry-After"] == "60"

    city.set_clock(city.now() + timedelta(seconds=60))
    assert login(a, "demo").status_code == 201
    assert form(b, "demo").status_code == 302

    # Both processes answered, and the lockout was logged once per account by the one that saw it
    answered = {line["pid"] for server in (a, b) for line in server.log_lines()
                if line.get("logger") == "citygrid.request" and line.get("route") == "/api/v1/auth/token"}
    assert len(answered) == 2
    lockouts = [line["message"] for server in (a, b) for line in server.log_lines()
                if line.get("logger") == "citygrid.login"]
    assert sorted(m.split()[2] for m in lockouts) == ["account:dispatcher", "account:grid-35020301100301"], lockouts

