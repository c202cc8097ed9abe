"""Fixtures of the reliability tests (marker `reliability`): the product set up on a PostgreSQL
schema of its own (not the `city` fixture's, which another test in this process may drop), served
by several real server processes (`servers.Farm`)."""
import os
from itertools import count

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import make_app
from tests.helpers import City
from tests.reliability.servers import Farm

_schemas = count(1)


def _admin(base, *statements):
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url(request):
    """A fresh schema on TEST_DATABASE_URL for one test (skipped without it, except in CI)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("CI needs TEST_DATABASE_URL for the PostgreSQL runs")
        pytest.skip("TEST_DATABASE_URL not set")
    schema = f"cg_rel_{os.getpid()}_{next(_schemas)}"
    try:
        _admin(base, f"DROP SCHEMA IF EXISTS {schema} CASCADE", f"CREATE SCHEMA {schema}")
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    request.addfinalizer(lambda: _admin(base, f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def city_on(url):
    """The product on `url`: migrated, process deployed, the Xiamen org tree (as `city`)."""
    app = make_app(url)
    city = City(app)
    city.setup()
    return city


@pytest.fixture
def pg_city(postgres_url):
    city = city_on(postgres_url)
    yield city
    city.db.dispose()


@pytest.fixture
def serve(tmp_path):
    """serve(count, url) -> a started Farm of `count` server processes on `url`; stopped after the test."""
    farms = []

    def start(count, url):
        farm = Farm(count, url, tmp_path)
        farms.append(farm)
        return farm.start()
    yield start
    for farm in farms:
        farm.stop()


def client_token(city, name, channel):
    """An external client's token (`clients add`, the last line)."""
    result = city.app.test_cli_runner().invoke(args=["clients", "add", name, "--channel", channel])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def user_token(city, username):
    result = city.app.test_cli_runner().invoke(args=["users", "token", username])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]
