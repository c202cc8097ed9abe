"""Shared fixtures.

`app`/`runner`: an app on a temporary SQLite file (simulated clock, no scheduler).
`city`: the whole product (migrated schema, shipped process deployed, Xiamen demo data) on
SQLite AND on PostgreSQL (TEST_DATABASE_URL); in CI the PostgreSQL run is required, never skipped.
Each test's city is a copy of one built once per test process (a file on SQLite, a database made
from a template on PostgreSQL).
"""
import itertools
import os
import sqlite3
import tempfile
from contextlib import closing, contextmanager
from datetime import timedelta, timezone

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

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


# A city's starting database (migrated, the shipped processes deployed, the demo org tree loaded)
# is built once per test process and copied for each test that asks for a city: building it took
# most of a second, a copy takes milliseconds (SQLite: the file; PostgreSQL: CREATE DATABASE from
# it as a template). Where the server refuses to create databases, each city is built as before.
_TEMPLATES = {}
_copies = itertools.count(1)


def _built(url):
    """Build a city's starting database at `url`."""
    from tests.helpers import City
    app = make_app(url)
    try:
        City(app).setup()
    finally:
        app.extensions["citygrid.db"].dispose()


def _sqlite_city(tmp_path_factory, tmp_path):
    if "sqlite" not in _TEMPLATES:
        template = tmp_path_factory.mktemp("template") / "city.db"
        _built(f"sqlite:///{template}")
        _TEMPLATES["sqlite"] = template
    copy = tmp_path / "city.db"
    with closing(sqlite3.connect(_TEMPLATES["sqlite"])) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    return f"sqlite:///{copy}"


def _postgres_city(request):
    """A database of its own for one test's city, copied from this process's template database;
    None where the server does not let the tests create databases."""
    base = make_url(os.environ["TEST_DATABASE_URL"])
    prefix = f"cg_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if "postgresql" not in _TEMPLATES:
                template = f"{prefix}_template"
                try:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)"))
                    conn.execute(text(f"CREATE DATABASE {template}"))
                except DBAPIError:
                    _TEMPLATES["postgresql"] = None
                    return None
                _built(base.set(database=template).render_as_string(hide_password=False))
                _TEMPLATES["postgresql"] = template
            if _TEMPLATES["postgresql"] is None:
                return None
            name = f"{prefix}_{next(_copies)}"
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATES['postgresql']}"))
    finally:
        admin.dispose()
    request.addfinalizer(lambda: _drop_database(base, name))
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_database(base, name):
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _drop_templates():
    yield
    if _TEMPLATES.get("postgresql"):
        _drop_database(make_url(os.environ["TEST_DATABASE_URL"]), _TEMPLATES["postgresql"])


@pytest.fixture
def city(db_url, request, tmp_path_factory, tmp_path):
    """The product on a fresh database: migrated, process deployed, demo loaded."""
    from tests.helpers import City
    if db_url.startswith("sqlite"):
        url = _sqlite_city(tmp_path_factory, tmp_path)
    else:
        url = _postgres_city(request)
    app = make_app(url or db_url)
    city = City(app)
    if url is None:
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
