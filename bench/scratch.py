"""A database of a benchmark's own: a SQLite file in a temporary folder, or on the PostgreSQL of
TEST_DATABASE_URL a schema created for the run and dropped afterwards, so a benchmark never touches
anyone's tables; and the product on it (`product`: migrated, the demo org tree, the clock set)."""
import os
import tempfile
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


@contextmanager
def product(kind, name, now):
    """Yield the app on a fresh database of `kind` (inside its app context): migrated, the shipped
    process deployed, the demo org tree loaded, its simulated clock at `now`."""
    from app import create_app
    from engine import cli as engine_cli
    from engine.db import get_db
    from handlers.demo import tree

    with tempfile.TemporaryDirectory() as tmp, database_url(kind, tmp, name) as url:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "CITYGRID_UPLOAD_DIR": tmp})
        try:
            with app.app_context():
                engine_cli.upgrade(app)
                with get_db(app).unit_of_work() as session:
                    tree.load(session)
                    app.extensions["citygrid.runtime"].clock.set(session, now)
                app.extensions["citygrid.directory"].invalidate()
                yield app
        finally:
            get_db(app).dispose()
