"""Shared fixtures.

`app`/`runner`: an app on a temporary SQLite file (simulated clock, no scheduler).
`city`: the whole product (migrated schema, shipped process deployed, Xiamen demo data) on
SQLite AND on PostgreSQL (TEST_DATABASE_URL); in CI the PostgreSQL run is required, never skipped.
Each test's city is a copy of one built once per test process (a file on SQLite, a database made
from a template on PostgreSQL).
"""
import copy
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


def _admin(base, statement):
    """Run one statement on the test server outside any transaction (CREATE/DROP of schemas, databases)."""
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


def _drop_schema(base, schema):
    _admin(base, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'city.db'}"
    return _postgres_url(request)


# A city's starting database (migrated, the shipped processes deployed, the demo org tree loaded)
# is built once per test process and copied for each test that asks for a city: building it took
# most of a second, a copy takes milliseconds (SQLite: the file; PostgreSQL: CREATE DATABASE from
# it as a template). Where the server refuses to create databases, each city is built as before.
# A played city (`plays`: a month of cases) is built once the same way, from the starting one.
_TEMPLATES = {}     # (database kind, play or None) → (the template: a file or a database name, what play returned)
PLAYS = {}          # (module, fixture name) → play
_copies = itertools.count(1)


def plays(play):
    """Decorator of a test module's fixture (under @pytest.fixture): a test that asks for it gets a
    `city` whose database is a copy of one on which `play(city)` ran, once per test process and
    database; the fixture finds what `play` returned in `city.played` (a deep copy of it)."""
    def register(fixture_function):
        PLAYS[(fixture_function.__module__, fixture_function.__name__)] = play
        return fixture_function
    return register


def _play_of(request):
    for name in request.fixturenames:
        fixture = getattr(request.module, name, None)
        play = PLAYS.get((getattr(fixture, "__module__", None), name))
        if play is not None:
            return play
    return None


def _build(url, play):
    """Build a city's starting database at `url` (`play` None), or play `play` on the one there."""
    from tests.helpers import City
    app = make_app(url)
    try:
        city = City(app)
        if play is None:
            return city.setup()
        return play(city)
    finally:
        app.extensions["citygrid.db"].dispose()


def _sqlite_copy(source, target):
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as duplicate:
        original.backup(duplicate)


def _sqlite_template(tmp_path_factory, play):
    key = ("sqlite", play)
    if key not in _TEMPLATES:
        template = tmp_path_factory.mktemp("template") / "city.db"
        if play is not None:
            _sqlite_copy(_sqlite_template(tmp_path_factory, None)[0], template)
        _TEMPLATES[key] = (template, _build(f"sqlite:///{template}", play))
    return _TEMPLATES[key]


def _sqlite_city(tmp_path_factory, tmp_path, play):
    # at db_url's own path: a test that opens a second app on db_url opens this city
    template, played = _sqlite_template(tmp_path_factory, play)
    _sqlite_copy(template, tmp_path / "city.db")
    return f"sqlite:///{tmp_path / 'city.db'}", played


def _postgres_template(conn, base, prefix, play):
    """The template database for `play` (None: the starting one), built when first asked for;
    None where the server does not let the tests create databases."""
    key = ("postgresql", play)
    if key not in _TEMPLATES:
        name = f"{prefix}_template_{next(_copies)}"
        if play is None:
            try:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                conn.execute(text(f"CREATE DATABASE {name}"))
            except DBAPIError:
                _TEMPLATES[key] = None
                return None
        else:
            start = _postgres_template(conn, base, prefix, None)
            if start is None:
                return None
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {start[0]}"))
        _TEMPLATES[key] = (name, _build(base.set(database=name).render_as_string(hide_password=False), play))
    return _TEMPLATES[key]


def _postgres_city(request, play):
    """A database of its own for one test's city, copied from this process's template of it."""
    base = make_url(os.environ["TEST_DATABASE_URL"])
    prefix = f"cg_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            template = _postgres_template(conn, base, prefix, play)
            if template is None:
                return None, None
            name = f"{prefix}_{next(_copies)}"
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template[0]}"))
    finally:
        admin.dispose()
    request.addfinalizer(lambda: _drop_database(base, name))
    return base.set(database=name).render_as_string(hide_password=False), template[1]


def _drop_database(base, name):
    _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session", autouse=True)
def _drop_templates():
    yield
    for (kind, _), template in _TEMPLATES.items():
        if kind == "postgresql" and template is not None:
            _drop_database(make_url(os.environ["TEST_DATABASE_URL"]), template[0])


@pytest.fixture
def city(db_url, request, tmp_path_factory, tmp_path):
    """The product on a fresh database: migrated, process deployed, demo loaded (and played, for a
    test asking for a fixture registered with `plays`)."""
    from tests.helpers import City
    play = _play_of(request)
    if db_url.startswith("sqlite"):
        url, played = _sqlite_city(tmp_path_factory, tmp_path, play)
    else:
        url, played = _postgres_city(request, play)
    app = make_app(url or db_url)
    city = City(app)
    if url is None:      # no template: built here
        city.setup()
        played = play(city) if play is not None else None
    city.played = copy.deepcopy(played)
    yield city
    app.extensions["citygrid.db"].dispose()


@contextmanager
def serving(city):
    """`city` served over real HTTP on a free local port (threaded), `.url` set, while inside."""
    import threading
    from werkzeug.serving import make_server
    from ops import devserver

    server = make_server("127.0.0.1", 0, devserver.closing(city.app), threaded=True,
                         request_handler=devserver.RequestHandler)
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
