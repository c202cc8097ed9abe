"""engine.schema: the Alembic migrations give exactly the schema of the models, on a fresh SQLite
file and on PostgreSQL, and running them again changes nothing."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
import pytest
from sqlalchemy import create_engine, inspect, text

import engine.models  # noqa: F401  (register the tables, as migrations/env.py does)
import handlers.models  # noqa: F401
from engine import schema as migrate
from engine.db import Base


def differences(url):
    connectable = create_engine(url)
    try:
        with connectable.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "compare_server_default": True})
            return compare_metadata(context, Base.metadata), context.get_current_revision(), \
                set(inspect(connection).get_table_names())
    finally:
        connectable.dispose()


def test_the_migrations_give_exactly_the_schema_of_the_models(db_url):
    migrate.upgrade(db_url)
    diff, revision, tables = differences(db_url)
    assert diff == []
    assert revision == ScriptDirectory.from_config(migrate.config(db_url)).get_current_head()
    assert set(Base.metadata.tables) <= tables

    migrate.upgrade(db_url)                              # again: nothing to do, nothing changes
    assert differences(db_url) == ([], revision, tables)


def test_the_comparison_sees_a_schema_that_drifted(tmp_path):
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    migrate.upgrade(url)
    connectable = create_engine(url)
    try:
        with connectable.begin() as connection:
            connection.exec_driver_sql("DROP INDEX ix_timers_due_at")
    finally:
        connectable.dispose()
    diff, _, _ = differences(url)
    assert [(d[0], d[1].name) for d in diff] == [("add_index", "ix_timers_due_at")]


def test_on_postgresql_an_instance_state_is_stored_compressed_with_lz4(city):
    """Migration 0019: a saved step's state is compressed with lz4, not the default pglz (half a
    millisecond per save); going down to 0018 gives the default back."""
    if city.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores the state as it is")
    city.set_clock("2026-03-02 16:05")
    city.complete(city.report(), "accept_report", "intake", decision="file", urgency="A")

    def stored(session):
        return session.execute(text(
            "SELECT (SELECT attcompression FROM pg_attribute WHERE attrelid = 'instances'::regclass "
            "AND attname = 'state'), pg_column_compression(state) FROM instances ORDER BY id DESC LIMIT 1")).one()
    assert tuple(city.work(stored)) == ("l", "lz4")
    url = city.db.url
    city.db.dispose()
    command.downgrade(migrate.config(url), "0018")
    try:
        assert city.work(stored)[0] == ""       # the column's own setting gone: the server's default
    finally:
        migrate.upgrade(url)
