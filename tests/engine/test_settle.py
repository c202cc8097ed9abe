"""engine.settle: a served process, once its app is built, loads the current deployments' specs and
freezes what is alive out of the garbage collector's sight, so that a full collection no longer
traverses the app (on the city's real database, SQLite and PostgreSQL; the gunicorn workers' own
call is checked in tests/reliability/test_graceful_restart.py)."""
import gc
import logging

import pytest

from engine import deployments
from engine.settle import settle
from tests.conftest import make_app


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()       # what a test froze goes back to the collector: pytest's process goes on


def test_settling_loads_the_specs_and_takes_the_app_out_of_full_collections(city, unfrozen):
    runtime = city.app.extensions["citygrid.runtime"]
    runtime._specs.clear()        # as a process that has served nothing yet
    with city.app.extensions["citygrid.db"].reading() as session:
        current = deployments.currents(session, runtime)
    assert current
    gc.collect()
    alive = len(gc.get_objects())
    frozen = settle(city.app)
    assert frozen > alive * 0.9
    assert {d.id for d in current.values()} <= set(runtime._specs)     # the first request loads none
    assert len(gc.get_objects()) < alive / 10                          # what a full collection traverses now
    case_no = city.report()       # a settled app works on: frozen objects are alive, not read-only
    assert [t["step"] for t in city.open_tasks(case_no)] == ["accept_report"]


def test_a_database_that_cannot_be_read_leaves_the_specs_for_later(unfrozen, caplog):
    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        with caplog.at_level(logging.WARNING, logger="engine.settle"):
            frozen = settle(app)
        assert frozen > 0 and gc.get_freeze_count() > 0
        assert app.extensions["citygrid.runtime"]._specs == {}
        assert any("settling without the specs" in r.getMessage() for r in caplog.records)
    finally:
        app.extensions["citygrid.db"].dispose()
