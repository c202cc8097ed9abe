"""The database schema, migrated by Alembic driven from code: the migrations live in migrations/ at the
repository root. (Moving running instances between process versions is `instance_migration`.)"""
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def config(url):
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url, revision="head"):
    """Bring the schema at `url` to `revision`."""
    command.upgrade(config(url), revision)
