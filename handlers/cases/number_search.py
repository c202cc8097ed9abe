"""The case list's `q` (part of a case number) answered by an index: every case number's suffixes
of three digits or more are rows of `case_no_suffixes`, keyed by the suffix, so "the number contains
q" is "q begins one of its suffixes", one range of that key (the rows read are the matches, nothing
else). A LIKE '%q%' read every case's number instead.

Why suffixes rather than a trigram index (SQLite's FTS5, PostgreSQL's pg_trgm): one table and one
query on both databases, declared with the models and migrated like them (no virtual table beside
the metadata, no extension to install with the rights that takes), exact without a recheck, and a
number's trigrams are few and common ("202", "026" are in every number of the decade), so a
trigram index reads long lists to intersect them. The cost: eleven rows of a few bytes per case.

The rows are written where a case row is written (`service._file`, `add`) and never change (a
case's number does not); they go with the case (`ON DELETE CASCADE`). A query of one or two
characters, or with anything but digits (the web list takes free text; numbers are digits), is the
LIKE it always was: it matches too many cases or none, and no index helps either."""
from sqlalchemy import ForeignKey, String, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from engine import direct
from engine.db import Base

from .models import Case

SHORTEST = 3      # the shortest suffix stored, and the shortest query the index answers


class CaseNoSuffix(Base):
    """One suffix of a case's number (of SHORTEST characters or more)."""

    __tablename__ = "case_no_suffixes"
    suffix: Mapped[str] = mapped_column(String(20), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)


def suffixes(case_no) -> list[str]:
    return [case_no[i:] for i in range(len(case_no) - SHORTEST + 1)]


def rows(case_id, case_no) -> list[dict]:
    """The `case_no_suffixes` rows of one case (for `add`, and for bulk writers)."""
    return [dict(suffix=s, case_id=case_id) for s in suffixes(case_no)]


def add(session, case):
    """Index a case just written (its id given by the flush) by the parts of its number."""
    direct.send(session.connection(), _ADD, rows(case.id, case.case_no))


_ADD = insert(CaseNoSuffix.__table__)


def _above(digits) -> str | None:
    """The smallest string of digits above every one that starts with `digits` ("124" for "1239";
    None for "999": every digit string from it on starts with it). Digit strings are ordered alike
    in any collation, so the range reads the same rows on SQLite and on PostgreSQL."""
    stripped = digits.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1)


def contains_clause(q):
    """The condition on `cases` of the numbers that contain `q` (the list's definition, as before:
    `case_no LIKE '%q%'`), off the suffix index when it can."""
    if len(q) < SHORTEST or not (q.isascii() and q.isdigit()):
        return Case.case_no.contains(q, autoescape=True)
    found = select(CaseNoSuffix.case_id).where(CaseNoSuffix.suffix >= q)
    above = _above(q)
    if above is not None:
        found = found.where(CaseNoSuffix.suffix < above)
    return Case.id.in_(found)
