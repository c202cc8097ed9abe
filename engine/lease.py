"""Leases: the right, by name, to run something in one process at a time across every process and
machine sharing the database, held until it lapses. The holder renews it while it works; a holder
that dies or hangs stops renewing, and once the lease has lapsed the next process to ask gets it.

Times are real time given by the caller (`clock.wall_time`: on PostgreSQL the server's, so the
machines' clocks need not agree). Each call is one short statement in the caller's unit of work;
on PostgreSQL two processes asking at once queue on the row and the second sees the first's
answer, so there is never more than one holder."""
from datetime import timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .models import Lease

TABLE = Lease.__table__


def acquire(session, name, holder, now, seconds) -> bool:
    """Take the lease `name` for `holder`, or renew it, until `now` + `seconds`; False while someone
    else holds it (it has not lapsed)."""
    until = now + timedelta(seconds=seconds)
    renewed = session.execute(
        update(TABLE).where(TABLE.c.name == name,
                            or_(TABLE.c.holder == holder, TABLE.c.holder.is_(None), TABLE.c.expires_at <= now))
        .values(holder=holder, expires_at=until,
                acquired_at=case((TABLE.c.holder == holder, TABLE.c.acquired_at), else_=now)))
    if renewed.rowcount:
        return True
    dialect_insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    inserted = session.execute(dialect_insert(TABLE).values(name=name, holder=holder, acquired_at=now, expires_at=until)
                               .on_conflict_do_nothing(index_elements=["name"]).returning(TABLE.c.name))
    return inserted.first() is not None


def release(session, name, holder) -> bool:
    """Give the lease up (a graceful stop), so that another process takes it at once; False when
    `holder` did not hold it."""
    return bool(session.execute(update(TABLE).where(TABLE.c.name == name, TABLE.c.holder == holder)
                                .values(holder=None, expires_at=None)).rowcount)


def current(session, name, now):
    """(holder, acquired_at, expires_at) of the lease `name` while it is held at `now`, else None."""
    row = session.execute(select(TABLE.c.holder, TABLE.c.acquired_at, TABLE.c.expires_at)
                          .where(TABLE.c.name == name)).first()
    if row is None or row.holder is None or row.expires_at <= now:
        return None
    return tuple(row)
