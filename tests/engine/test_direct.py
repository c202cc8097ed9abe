"""engine.direct: a write sent to the driver's cursor stores exactly what SQLAlchemy's execution of
the same statement stores (aware datetimes as UTC, JSON, booleans, a column's default, NULLs),
counts the rows it changed, raises a driver's error as SQLAlchemy's own with nothing left written,
goes out pipelined inside `pipeline.writes` on PostgreSQL, and leaves to SQLAlchemy what it does not
plan for (an expanding IN list). Real SQLite file and real PostgreSQL."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import (JSON, Boolean, Column, Integer, MetaData, String, Table, bindparam, delete, func, insert,
                        select, text, update)
from sqlalchemy.exc import IntegrityError

from engine import direct, pipeline
from engine.models import UTCDateTime
from tests.engine.test_pipeline import database_with, pipelining

META = MetaData()
ROWS = Table("direct_rows", META, Column("id", Integer, primary_key=True), Column("name", String(20), unique=True),
             Column("at", UTCDateTime), Column("data", JSON), Column("flag", Boolean, default=False),
             Column("note", String(20), default="none"))
INSERT = insert(ROWS).inline()
RENAME = update(ROWS).where(ROWS.c.id == bindparam("_id"))
DROP_SOME = delete(ROWS).where(ROWS.c.id.in_(bindparam("ids", expanding=True)))
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
def db(db_url):
    yield from database_with(db_url, META)


def stored(db):
    """Every row as the database holds it (no type processing on the way back)."""
    with db.reading() as session:
        rows = session.execute(text("SELECT id, name, at, data, flag, note FROM direct_rows ORDER BY id")).all()
    return {row.id: tuple(row)[1:] for row in rows}


def test_a_sent_row_is_stored_as_sqlalchemy_stores_it(db):
    at = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    given = [dict(name="a", at=at, data={"步骤": "派遣", "n": [1, 2]}, flag=True),
             dict(name="b", at=None, data=None),                 # NULLs, and the defaults of flag and note
             dict(name="c", at=at, data={"x": None}, flag=False, note="given")]
    sent = []
    with db.unit_of_work() as session, direct.observing(lambda sql, rows: sent.append(len(rows))):
        connection = session.connection()
        for number, row in enumerate(given):
            connection.execute(INSERT, dict(row, id=number + 1))                 # through SQLAlchemy
            assert direct.send(connection, INSERT, dict(row, id=number + 11, name=row["name"] * 2)) == 1
    rows = stored(db)
    for number in range(len(given)):
        mine, theirs = rows[number + 11], rows[number + 1]
        assert mine[1:] == theirs[1:] and mine[0] == theirs[0] * 2
    assert sent == [1, 1, 1]
    with db.reading() as session:      # and read back through the types: the same aware instant
        assert session.scalar(select(ROWS.c.at).where(ROWS.c.id == 11)) == at
        assert session.scalar(select(ROWS.c.flag).where(ROWS.c.id == 12)) is False


def test_several_rows_go_in_one_call_and_an_update_counts_what_it_matched(db):
    with db.unit_of_work() as session:
        connection = session.connection()
        direct.send(connection, INSERT, [dict(id=n, name=f"r{n}", at=None, data=[n]) for n in range(1, 6)])
        assert direct.send(connection, RENAME, dict(_id=3, name="renamed")) == 1
        assert direct.send(connection, RENAME, dict(_id=99, name="nobody")) == 0      # a lost version check
    rows = stored(db)
    assert sorted(rows) == [1, 2, 3, 4, 5] and rows[3][0] == "renamed" and rows[2][0] == "r2"


def test_a_driver_error_is_sqlalchemys_and_nothing_of_the_unit_of_work_stays(db):
    with pytest.raises(IntegrityError):
        with db.unit_of_work() as session:
            connection = session.connection()
            direct.send(connection, INSERT, dict(id=1, name="same", at=None, data=None))
            direct.send(connection, INSERT, dict(id=2, name="same", at=None, data=None))
    assert stored(db) == {}
    with db.unit_of_work() as session:          # the pool's connection works again
        direct.send(session.connection(), INSERT, dict(id=3, name="after", at=None, data=None))
    assert list(stored(db)) == [3]


def test_inside_writes_it_goes_out_pipelined_and_a_read_sees_it(db):
    server = db.engine.dialect.name == "postgresql"
    with db.unit_of_work() as session:
        connection = session.connection()
        with pipeline.writes(connection):
            direct.send(connection, INSERT, dict(id=1, name="a", at=None, data=None))
            assert pipelining(connection) == server
            assert session.scalar(select(func.count()).select_from(ROWS)) == 1
    assert list(stored(db)) == [1]


def test_an_expanding_in_list_is_left_to_sqlalchemy(db):
    sent = []
    with db.unit_of_work() as session, direct.observing(lambda sql, rows: sent.append(sql)):
        connection = session.connection()
        direct.send(connection, INSERT, [dict(id=n, name=f"r{n}", at=None, data=None) for n in range(1, 5)])
        assert direct.send(connection, DROP_SOME, {"ids": [1, 3]}) == 2
    assert sorted(stored(db)) == [2, 4]
    assert len(sent) == 1 and sent[0].startswith("INSERT")
