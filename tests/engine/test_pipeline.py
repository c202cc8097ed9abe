"""engine.pipeline: marked writes go out without waiting for their answers (PostgreSQL), reads
inside still see every write before them, a pipelined statement's error is raised where the
pipeline ends as SQLAlchemy's own error and leaves nothing written, and the connection is
usable again afterwards. On SQLite `writes` changes nothing. Real SQLite file and real PostgreSQL."""
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from engine import pipeline
from engine.db import Database

META = MetaData()
ROWS = Table("pipeline_rows", META, Column("id", Integer, primary_key=True), Column("name", String(20)))
PIPELINED_INSERT = insert(ROWS).inline().execution_options(**pipeline.PIPELINED)
COUNT = select(func.count()).select_from(ROWS)


def database_with(url, metadata):
    """A Database on `url` with `metadata`'s tables, disposed afterwards (a fixture's body)."""
    database = Database(url)
    metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def db(db_url):
    yield from database_with(db_url, META)


def count(db):
    with db.reading() as session:
        return session.scalar(COUNT)


def pipelining(connection):
    """Whether the driver's connection is in pipeline mode now (psycopg's own state; SQLite: never)."""
    pgconn = getattr(connection.connection.dbapi_connection, "pgconn", None)
    return pgconn is not None and pgconn.pipeline_status != 0


def test_marked_writes_are_pipelined_and_a_read_inside_sees_them(db):
    server = db.engine.dialect.name == "postgresql"
    with db.unit_of_work() as session:
        connection = session.connection()
        connection.execute(PIPELINED_INSERT, {"id": 1, "name": "a"})     # outside `writes`: answered
        assert not pipelining(connection)
        with pipeline.writes(connection):
            connection.execute(PIPELINED_INSERT, {"id": 2, "name": "b"})
            connection.execute(PIPELINED_INSERT, [{"id": 3, "name": "c"}, {"id": 4, "name": "d"}])
            assert pipelining(connection) == server                        # still unanswered
            assert session.scalar(COUNT) == 4                              # the read ended the pipeline first
            assert not pipelining(connection)
            connection.execute(PIPELINED_INSERT, {"id": 5, "name": "e"})   # the next write opens another
            assert pipelining(connection) == server
        assert not pipelining(connection)
        assert session.scalar(COUNT) == 5
    assert count(db) == 5


@pytest.mark.parametrize("ids, failure, raised", [
    ([1, 1, 2], None, IntegrityError),                  # a pipelined statement's own error, raised at the end
    ([1], ZeroDivisionError, ZeroDivisionError),        # the block's own error: the pipeline ends, it propagates
])
def test_a_failed_block_writes_nothing_and_leaves_the_connection_usable(db, ids, failure, raised):
    with pytest.raises(raised):
        with db.unit_of_work() as session:
            connection = session.connection()
            with pipeline.writes(connection):
                for n in ids:
                    connection.execute(PIPELINED_INSERT, {"id": n, "name": f"row {n}"})
                if failure:
                    raise failure()
    assert count(db) == 0
    with db.unit_of_work() as session:                   # the pooled connection works again, pipelined too
        connection = session.connection()
        assert not pipelining(connection)
        with pipeline.writes(connection):
            connection.execute(PIPELINED_INSERT, {"id": 5, "name": "e"})
    assert count(db) == 1
