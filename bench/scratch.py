"""A database of a benchmark's own: a SQLite file in a temporary folder, or on the PostgreSQL of
TEST_DATABASE_URL a schema created for the run and dropped afterwards, so a benchmark never touches
anyone's tables."""
import os
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def database_url(kind, folder, name):
    """Yield the URL of a fresh database (`kind` sqlite or postgresql); dispose of every engine on
    it before leaving the block, the schema is dropped then."""
    if kind == "sqlite":
        yield f"sqlite:///{folder}/{name}.db"
        return
    base = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"bench_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
