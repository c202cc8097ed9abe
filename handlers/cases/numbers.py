"""Case numbers: YYYYMMDD (the Beijing date of the report) + a 5-digit serial of that day,
e.g. 2026030200001, taken from one counter row per day.

The counter is incremented in the report's own transaction (`UPDATE ... RETURNING`, or an upsert for
the day's first report), so its row stays locked until the report commits or rolls back: reports of
the same day are numbered one after the other, never twice the same number, and a report that is
refused or rolled back gives its number back (no gaps). On SQLite the writer lock serialises them
anyway. The cost is that the reports of one day commit one at a time from the moment they are
numbered (the rest of the report's unit of work, some tens of milliseconds)."""
from sqlalchemy import Integer, String, bindparam, cast, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from engine import direct
from engine.db import Base

from .. import localtime
from .models import Case


class CaseNumber(Base):
    """The last serial given on a Beijing date."""

    __tablename__ = "case_numbers"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)     # YYYYMMDD
    serial: Mapped[int] = mapped_column(Integer)


def day_of(now) -> str:
    return localtime.local(now).strftime("%Y%m%d")


def take(session, now) -> str:
    """The next case number of `now`'s Beijing day, locked to this transaction until it ends."""
    day, table = day_of(now), _TABLE
    found = direct.rows(session, _NEXT, {"_day": day})
    serial = found[0][0] if found else None
    if serial is None:
        # The day's first report. Start after any number of the day that exists already (cases
        # written by an older version or by bulk tools); two first reports at once: the second
        # waits for the first's row and increments it.
        dialect_insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = (dialect_insert(table).values(day=day, serial=highest_serial(session, day) + 1)
                     .on_conflict_do_update(index_elements=[table.c.day], set_={"serial": table.c.serial + 1})
                     .returning(table.c.serial))
        serial = session.execute(statement).scalar_one()
    return f"{day}{serial:05d}"


_TABLE = CaseNumber.__table__
# built once (every report asks), read past SQLAlchemy's execution (engine.direct)
_NEXT = (update(_TABLE).where(_TABLE.c.day == bindparam("_day")).values(serial=_TABLE.c.serial + 1)
         .returning(_TABLE.c.serial))


def highest_serial(session, day) -> int:
    """The highest serial among the existing cases numbered on `day` (0 for none). The range reads
    only the day's numbers off the case_no index (a LIKE alone scans all of them on SQLite, whose
    LIKE ignores case); the LIKE keeps it exact."""
    return session.scalar(select(func.max(cast(func.substr(Case.case_no, 9), Integer)))
                          .where(Case.case_no.between(day + "00000", day + "99999"),
                                 Case.case_no.like(day + "%"))) or 0
