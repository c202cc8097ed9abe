"""Case search (案件查询): the filters of the case list (and of the map), limited to the cases the
user may see (`visibility.visible_clause`, so paging counts only those), newest report first."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, literal, or_, select

from engine.models import UTCDateTime

from .. import localtime
from .deadlines import overdue_clause as overdue_clause_at
from .models import Case
from .statuses import OPEN_STATUSES
from .visibility import subtree, visible_clause

OPEN = "open"   # pseudo-status: every open status (IN on the status index, not NOT IN the ends: a scan)


@dataclass
class Filters:
    case_no: str = ""
    status: str = ""            # a case status, OPEN, or "" for all
    category: str = ""          # a full code, or a prefix (e.g. 2001 for one major class)
    urgency: str = ""           # A, B or C (as graded when filed)
    unit: str = ""              # cases located in, held by or handled within this unit's subtree
    overdue: bool = False
    date_from: date | None = None   # reported on or after (Beijing date)
    date_to: date | None = None     # reported on or before (Beijing date)


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))


def overdue_clause(now):
    """Overdue cases (`deadlines.overdue_clause`): at `now` while open, or when they ended."""
    return or_(and_(Case.closed_at.is_(None), overdue_clause_at(Case.due_at, literal(now, UTCDateTime))),
               overdue_clause_at(Case.due_at, Case.closed_at))


def conditions(directory, *, user, filters: Filters, now) -> list:
    """The SQL conditions on `cases` of what `user` may see and `filters` ask (for lists, counts, the map)."""
    found = [visible_clause(directory, user)]
    if filters.case_no:
        found.append(Case.case_no.contains(filters.case_no.strip(), autoescape=True))
    if filters.status == OPEN:
        found.append(Case.status.in_(OPEN_STATUSES))
    elif filters.status:
        found.append(Case.status == filters.status)
    if filters.category:
        found.append(Case.category.startswith(filters.category.strip(), autoescape=True))
    if filters.urgency:
        found.append(Case.urgency == filters.urgency)
    if filters.unit and directory.exists(filters.unit):
        units = subtree(directory, filters.unit)
        found.append(or_(Case.community.in_(units), Case.holder_unit.in_(units), Case.handler_unit.in_(units)))
    if filters.overdue:
        found.append(overdue_clause(now))
    if filters.date_from:
        found.append(Case.reported_at >= localtime.day_start(filters.date_from))
    if filters.date_to:
        found.append(Case.reported_at < localtime.day_end(filters.date_to))
    return found


def search(session, directory, *, user, filters: Filters, now, page=1, per_page=20) -> Page:
    """The cases `user` may see that match `filters`, newest report first, one page of them."""
    query = select(Case).where(*conditions(directory, user=user, filters=filters, now=now))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, page)
    rows = session.scalars(query.order_by(Case.reported_at.desc(), Case.id.desc())
                           .limit(per_page).offset((page - 1) * per_page))
    return Page(items=list(rows), total=total, page=page, per_page=per_page)
