"""The login limit's Redis store (CITYGRID_LOGIN_LIMIT_REDIS_URL): the same limit as the database's,
kept in a real local redis-server (started for the test on a free port, nothing saved), the window
counted on the simulated clock; nothing is written to the database's table."""
import shutil
import subprocess
import time
from datetime import timedelta

import pytest
import redis
from sqlalchemy import func, select

from handlers.org.throttle import LoginFailure
from tests.conftest import make_app
from tests.helpers import City
from tests.reliability.servers import free_port
from tests.web.conftest import Browser, text


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/test installs it)")
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    try:
        for _ in range(200):     # bounded: up to 10 s for the server process to listen
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert server.poll() is None, "redis-server exited"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


def test_the_redis_store_limits_logins_like_the_database(tmp_path, redis_url):
    app = make_app(f"sqlite:///{tmp_path / 'city.db'}", CITYGRID_LOGIN_LIMIT_REDIS_URL=redis_url)
    city = City(app)
    try:
        city.setup()
        browser = Browser(app)
        browser.get("/login")
        for _ in range(5):
            assert browser.post("/login", {"username": "intake", "password": "guess"}).status_code == 401
        refused = browser.post("/login", {"username": "intake", "password": "demo"})
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
        assert "秒后再试" in text(refused)
        assert city.work(lambda s: s.scalar(select(func.count()).select_from(LoginFailure))) == 0
        city.set_clock(city.now() + timedelta(seconds=60))
        assert browser.post("/login", {"username": "intake", "password": "demo"}).status_code == 302
    finally:
        app.extensions["citygrid.db"].dispose()
