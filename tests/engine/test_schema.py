"""engine.schema: the Alembic migrations give exactly the schema of the models, on a fresh SQLite
file and on PostgreSQL, and running them again changes nothing."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

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
