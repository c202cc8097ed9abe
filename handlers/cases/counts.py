"""How many cases are open, by status, and how many of them are overdue now: for monitoring (the
`/metrics` gauges), two indexed counts (cases.status, cases.due_at), never a counter kept aside."""
from sqlalchemy import func, literal, select

from engine.models import UTCDateTime

from .deadlines import overdue_clause
from .models import Case
from .statuses import OPEN_STATUSES


def open_by_status(session):
    """{status: count} of every open status (0 for those without a case)."""
    found = dict(session.execute(select(Case.status, func.count()).where(Case.status.in_(OPEN_STATUSES))
                                 .group_by(Case.status)).all())
    return {status: found.get(status, 0) for status in OPEN_STATUSES}


def overdue_open(session, now):
    """Open cases whose deadline has passed at `now` (`deadlines.overdue_clause`)."""
    return session.scalar(select(func.count()).select_from(Case).where(
        Case.status.in_(OPEN_STATUSES), overdue_clause(Case.due_at, literal(now, UTCDateTime))))
