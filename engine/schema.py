"""The database schema, migrated by Alembic driven from code: the migrations live in migrations/ at the
repository root. (Moving running instances between process versions is `instance_migration`.)"""
from pathlib import Path

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def config(url):
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url, revision="head"):
    """Bring the schema at `url` to `revision`."""
    command.upgrade(config(url), revision)


@lru_cache(maxsize=1)
def heads():
    """The newest revisions of the migrations shipped with this code (read once per process)."""
    return frozenset(ScriptDirectory.from_config(config("sqlite://")).get_heads())


def current(connection):
    """The revisions the database at `connection` is at (empty before the first upgrade)."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def is_current(connection) -> bool:
    """Whether the database is migrated to exactly this code's head (not behind, not ahead)."""
    return current(connection) == heads()
