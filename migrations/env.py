"""Alembic environment: the metadata of every model, the URL given by engine.schema."""
from alembic import context
from sqlalchemy import engine_from_config, pool

from engine.db import Base
import engine.models  # noqa: F401  (register the tables)
import handlers.models  # noqa: F401

target_metadata = Base.metadata
config = context.config


def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
