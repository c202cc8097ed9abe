"""engine.direct's reads: a select read on the driver's cursor gives what SQLAlchemy's execution of it
gives (aware datetimes, JSON, booleans, floats, NULLs), and `entities` gives the session's
persistent objects as its ORM select would: the ones it holds already, new ones unchanged with
their deferred columns loaded when read, changes flushed under the version check, None where an
outer join found nothing, pending objects flushed first. A read inside `pipeline.writes` ends the
pipeline and sees what went before; a driver's error is SQLAlchemy's. Real SQLite file and real
PostgreSQL."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import (JSON, Boolean, Column, Float, ForeignKey, Integer, MetaData, String, Table, Text, bindparam,
                        inspect, select, update)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from engine import direct, pipeline
from engine.models import UTCDateTime
from tests.engine.test_pipeline import database_with, pipelining

SHANGHAI = timezone(timedelta(hours=8))
AT = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=SHANGHAI)


class Base(DeclarativeBase):
    pass


class Owner(Base):
    __tablename__ = "direct_owners"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data = mapped_column(JSON)
    flag: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float | None] = mapped_column(Float)
    notes = deferred(mapped_column(Text))
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}


class Pet(Base):
    __tablename__ = "direct_pets"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("direct_owners.id"))
    name: Mapped[str] = mapped_column(String(20))


MISSING = Table("direct_nowhere", MetaData(), Column("id", Integer, primary_key=True))
OWNERS = select(*direct.columns(Owner)).where(Owner.id >= bindparam("from_id")).order_by(Owner.id)
PETS = (select(*direct.columns(Pet), *direct.columns(Owner)).outerjoin(Owner, Owner.id == Pet.owner_id)
        .order_by(Pet.id))


@pytest.fixture
def db(db_url):
    yield from database_with(db_url, Base.metadata)


def fill(db):
    with db.unit_of_work() as session:
        session.add_all([Owner(id=1, name="甲", at=AT, data={"步骤": "派遣", "n": [1, 2]}, flag=True, score=24.4781,
                               notes="long text"),
                         Owner(id=2, name="乙", at=None, data=None, score=None, notes=None),
                         Pet(id=1, owner_id=1, name="a"), Pet(id=2, owner_id=None, name="stray")])


def test_rows_are_what_sqlalchemys_execution_gives(db):
    fill(db)
    with db.unit_of_work() as session:
        connection = session.connection()
        theirs = [tuple(row) for row in connection.execute(OWNERS, {"from_id": 1})]
        mine = direct.rows(connection, OWNERS, {"from_id": 1})
    assert mine == theirs and len(mine) == 2
    first = dict(zip([c.key for c in OWNERS.selected_columns], mine[0]))
    assert first["at"] == AT and first["at"].tzinfo is not None
    assert first["data"] == {"步骤": "派遣", "n": [1, 2]} and first["flag"] is True and first["score"] == 24.4781
    assert "notes" not in first                                     # deferred: not among the columns


def test_entities_are_the_sessions_objects_as_its_orm_select_makes_them(db):
    fill(db)
    with db.reading() as session:
        expected = {o.id: {k: getattr(o, k) for k in ("name", "at", "data", "flag", "score", "notes", "version")}
                    for o in session.scalars(select(Owner))}
    with db.unit_of_work() as session:
        held = session.get(Owner, 2)
        found = [owner for (owner,) in direct.entities(session, OWNERS, {"from_id": 1}, (Owner,))]
        assert found[1] is held                                     # the one it held
        first = found[0]
        state = inspect(first)
        assert state.persistent and not session.dirty and "notes" in state.unloaded
        assert direct.entities(session, OWNERS, {"from_id": 1}, (Owner,))[0][0] is first
        got = {o.id: {k: getattr(o, k) for k in expected[o.id]} for o in found}   # notes loaded on reading
    assert got == expected


def test_a_changed_entity_is_flushed_under_its_version_check(db):
    fill(db)
    with db.unit_of_work() as session:
        owner = direct.entities(session, OWNERS, {"from_id": 1}, (Owner,))[0][0]
        owner.name = "丙"
    with db.reading() as session:
        assert (session.get(Owner, 1).name, session.get(Owner, 1).version) == ("丙", 2)
    with pytest.raises(StaleDataError):
        with db.unit_of_work() as session:
            owner = direct.entities(session, OWNERS, {"from_id": 1}, (Owner,))[0][0]
            session.execute(update(Owner.__table__).where(Owner.id == 1).values(version=5))   # changed meanwhile
            owner.name = "戊"
            session.flush()


def test_an_outer_join_that_found_nothing_gives_none(db):
    fill(db)
    with db.reading() as session:
        (pet, owner), (stray, nobody) = direct.entities(session, PETS, {}, (Pet, Owner))
        assert (pet.name, owner.name, stray.name, nobody) == ("a", "甲", "stray", None)


def test_pending_objects_are_flushed_first(db):
    fill(db)
    with db.unit_of_work() as session:
        session.add(Owner(id=3, name="new"))
        assert [o.name for (o,) in direct.entities(session, OWNERS, {"from_id": 3}, (Owner,))] == ["new"]


def test_a_read_inside_writes_ends_the_pipeline_and_sees_what_went_before(db):
    fill(db)
    with db.unit_of_work() as session:
        connection = session.connection()
        with pipeline.writes(connection):
            direct.send(connection, Pet.__table__.insert(), dict(id=3, owner_id=2, name="b"))
            assert pipelining(connection) == (db.engine.dialect.name == "postgresql")
            assert [row[2] for row in direct.rows(connection, PETS, {})] == ["a", "stray", "b"]
            assert not pipelining(connection)


def test_a_driver_error_is_sqlalchemys(db):
    with pytest.raises(DBAPIError):
        with db.unit_of_work() as session:
            direct.rows(session.connection(), select(MISSING.c.id), {})
    with db.reading() as session:                                   # the pool's connection works again
        assert direct.rows(session.connection(), OWNERS, {"from_id": 1}) == []


def test_a_write_with_returning_gives_its_rows_and_writes(db):
    fill(db)
    bump = (update(Owner.__table__).where(Owner.id == bindparam("_id")).values(version=Owner.version + 1)
            .returning(Owner.version, Owner.at))
    with db.unit_of_work() as session:
        assert direct.rows(session, bump, {"_id": 1}) == [(2, AT)]
        assert direct.rows(session, bump, {"_id": 99}) == []
    with db.reading() as session:
        assert session.get(Owner, 1).version == 2
