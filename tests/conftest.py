"""Shared fixtures.

`app`/`runner`: an app on a temporary SQLite file (simulated clock, no scheduler).
`city`: the whole product (migrated schema, shipped process deployed, Xiamen demo data) on
SQLite AND on PostgreSQL (TEST_DATABASE_URL); in CI the PostgreSQL run is required, never skipped.
"""
import os
import tempfile
from contextlib import contextmanager
from datetime import timedelta, timezone

import pytest
from sqlalchemy import create_engine, text

from app import create_app

SHANGHAI = timezone(timedelta(hours=8))


# The folder under which every app of the run keeps its uploads: in pytest's own temporary
# directory of the run (pytest keeps only the last few runs'), never loose in the system's.
UPLOADS_ROOT = None


@pytest.fixture(scope="session", autouse=True)
def _uploads_root(tmp_path_factory):
    global UPLOADS_ROOT
    UPLOADS_ROOT = tmp_path_factory.mktemp("uploads")
    yield UPLOADS_ROOT
    UPLOADS_ROOT = None


def make_app(url, **extra):
    if UPLOADS_ROOT is None:
        raise RuntimeError("make_app is for tests: the session's uploads folder is not set")
    return create_app({
        "TESTING": True,
        "DATABASE_URL": url,
        "CITYGRID_UPLOAD_DIR": tempfile.mkdtemp(prefix="citygrid-uploads-", dir=UPLOADS_ROOT),
        "CITYGRID_CLOCK": "simulated",
        "CITYGRID_SCHEDULER": "off",
        "SECRET_KEY": "test",
        **extra,
    })


@pytest.fixture
def app(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'test.db'}")
    yield app
    app.extensions["citygrid.db"].dispose()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _postgres_url(request):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("CI needs TEST_DATABASE_URL for the PostgreSQL runs")
        pytest.skip("TEST_DATABASE_URL not set")
    # One schema per test process: parallel runs (xdist workers, or two developers' runs on one
    # server) never drop each other's tables.
    schema = f"cg_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    request.addfinalizer(lambda: _drop_schema(base, schema))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:   # an unreachable server is a failure in CI, a skip on a laptop
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    finally:
        admin.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def _drop_schema(base, schema):
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'city.db'}"
    return _postgres_url(request)


@pytest.fixture
def city(db_url):
    """The product on a fresh database: migrated, process deployed, demo loaded."""
    from tests.helpers import City
    app = make_app(db_url)
    city = City(app)
    city.setup()
    yield city
    app.extensions["citygrid.db"].dispose()


@contextmanager
def serving(city):
    """`city` served over real HTTP on a free local port (threaded), `.url` set, while inside."""
    import threading
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, city.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    city.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield city
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def live_city(city):
    """`city` served over real HTTP on a free local port (threaded), for API and browser tests.
    Yields the City helper with `.url` set."""
    with serving(city):
        yield city


@pytest.fixture
def cli(city):
    """A CLI runner on `city` (`flask --app app ...` as a test calls it)."""
    return city.app.test_cli_runner()
