"""Case search (案件查询): the filters of the case list, the visibility rule of `cases.can_see`
expressed in SQL (so that paging counts only what the user may see), newest first."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import String, and_, cast, false, func, or_, select

from . import cases, org

OPEN = "open"   # pseudo-status: every status that is not an end


@dataclass
class Filters:
    case_no: str = ""
    status: str = ""            # a case status, OPEN, or "" for all
    category: str = ""          # a full code, or a prefix (e.g. 2001 for one major class)
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


def subtree(directory, code):
    """The unit and every unit below it."""
    found, seen, todo = [], set(), [code]
    while todo:
        unit = todo.pop()
        if unit in seen:
            continue
        seen.add(unit)
        found.append(unit)
        todo.extend(directory.children(unit))
    return found


def _reached_any(units):
    """`reached` (a JSON list of unit codes) contains one of `units`; portable across SQLite and PostgreSQL."""
    text = cast(cases.Case.reached, String)
    return or_(*(text.like(f'%"{u}"%') for u in units)) if units else false()


def _within(directory, code):
    units = subtree(directory, code)
    return or_(cases.Case.community.in_(units), cases.Case.grid.in_(units), _reached_any(units))


def _day_start(day):
    return datetime.combine(day, time(0), tzinfo=cases.SHANGHAI)


def search(session, directory, *, user, filters: Filters, now, page=1, per_page=20) -> Page:
    """The cases `user` may see that match `filters`, newest report first, one page of them."""
    query = select(cases.Case)
    if user.role not in org.SEE_ALL_ROLES:
        query = query.where(_within(directory, user.unit_code))
    if filters.case_no:
        query = query.where(cases.Case.case_no.contains(filters.case_no.strip()))
    if filters.status == OPEN:
        query = query.where(cases.Case.status.not_in(list(cases.END_STATUS.values())))
    elif filters.status:
        query = query.where(cases.Case.status == filters.status)
    if filters.category:
        query = query.where(cases.Case.category.startswith(filters.category.strip()))
    if filters.unit and directory.exists(filters.unit):
        units = subtree(directory, filters.unit)
        query = query.where(or_(cases.Case.community.in_(units), cases.Case.holder_unit.in_(units),
                                cases.Case.handler_unit.in_(units)))
    if filters.overdue:
        query = query.where(cases.Case.due_at.is_not(None),
                            or_(and_(cases.Case.closed_at.is_(None), cases.Case.due_at <= now),
                                cases.Case.closed_at > cases.Case.due_at))
    if filters.date_from:
        query = query.where(cases.Case.reported_at >= _day_start(filters.date_from))
    if filters.date_to:
        query = query.where(cases.Case.reported_at < _day_start(filters.date_to + timedelta(days=1)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, page)
    rows = session.scalars(query.order_by(cases.Case.reported_at.desc(), cases.Case.id.desc())
                           .limit(per_page).offset((page - 1) * per_page))
    return Page(items=list(rows), total=total, page=page, per_page=per_page)
