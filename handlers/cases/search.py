"""Case search (案件查询): the filters of the case list, limited to the cases the user may see
(`visibility.visible_clause`, so paging counts only those), newest report first.

The filters are one set of conditions (`conditions`) shared by the list (`search`), its counts
(`count`, `count_by`), the instants of its cases (`instants`) and the map, so that a number computed
from filters (the dashboard's, the map's) is exactly the number of rows the case list shows for the
same filters; `to_query` writes filters as the list's query string (the names the web list and the
API read).

What keeps the list as fast at 100,000 cases as at 1,000 (bench/lists.py): every filter is a
condition an index answers (models.py declares them: the equality filters' and the windows' end on
the list's order, reported_at then id, so a page is read off the index in order, or sorted from the
index alone); the number (`q`) is a range of its suffixes' index (`number_search`), "overdue" a
range of the stored `overdue_from`; the visibility rule is one equality on `case_units`, whose
index ends on the list's order too, so a unit's list is read off it alone, and whose rows hold the
case's filter columns (`models.UNIT_COPIES`), so a unit's filtered list is too; the count is one exact
`count(*)` over the same conditions, off an index; and a page is read in two steps: the ids of its
rows from the index (the rows before it skipped there, never loaded; a page past the middle read
from the other end), then those rows. A cursor (`paging.Cursor`, the API's `after`) reads the page
after another by where it ended instead of by its number: as fast at the last page as at the first."""
import weakref
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import Column, and_, func, literal, or_, select, text, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BooleanClauseList, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from engine.models import UTCDateTime

from .. import localtime
from ..org import capabilities
from ..paging import Cursor, Page
from . import number_search
from .deadlines import LIGHTS, light_clause, overdue_clause as overdue_clause_at
from .models import UNIT_COPIES, Case, CaseUnit
from .statuses import OPEN_STATUSES
from .visibility import count_visible, subtree, visible_clause

OPEN = "open"   # pseudo-status: every open status (IN on the status index, not NOT IN the ends: a scan)
UNGRADED = "none"   # pseudo-urgency: not graded yet (not filed)
URGENCIES = ("A", "B", "C", UNGRADED)
DATED = ("reported", "filed", "closed")   # which instant from/to bound


@dataclass
class Filters:
    case_no: str = ""
    status: str = ""            # a case status, OPEN, or "" for all
    category: str = ""          # a full code, or a prefix (e.g. 2001 for one major class)
    unit: str = ""              # cases located in, held by or handled within this unit's subtree
    overdue: bool = False
    date_from: date | None = None   # on or after (Beijing date) ...
    date_to: date | None = None     # ... on or before, of the instant `dated` names
    dated: str = "reported"     # reported, filed or closed: which instant date_from/date_to bound
    area: str = ""              # cases located in this unit's subtree (their community or grid)
    channel: str = ""           # the report's channel
    urgency: str = ""           # A, B, C, or UNGRADED
    light: str = ""             # green, yellow, red: the deadline light of an open case now
    due_on: date | None = None  # the deadline falls on this Beijing date



def overdue_clause(now):
    """Overdue cases (`deadlines.is_overdue`): at `now` while open, or when they ended. One range of
    the stored `overdue_from` (`deadlines.overdue_from`), which the migration and every write of the
    row derive from the deadline and the closing; `overdue_definition` is what it stands for."""
    return Case.overdue_from <= literal(now, UTCDateTime)


def overdue_definition(now):
    """The overdue rule on the row's own columns (two compared on every case: no index answers
    it); the tests hold `overdue_clause` to it."""
    return or_(and_(Case.closed_at.is_(None), overdue_clause_at(Case.due_at, literal(now, UTCDateTime))),
               overdue_clause_at(Case.due_at, Case.closed_at))


def category_clause(prefix):
    """A category code or the start of one. Codes are six digits: a shorter prefix of digits is also
    a range of codes, which the category index answers (a LIKE alone is a scan on SQLite)."""
    if len(prefix) == 6:
        return Case.category == prefix
    found = Case.category.startswith(prefix, autoescape=True)
    if prefix.isascii() and prefix.isdigit():
        return and_(Case.category.between(prefix, prefix + "9" * (6 - len(prefix))), found)
    return found


def _instant(dated):
    return {"reported": Case.reported_at, "filed": Case.filed_at, "closed": Case.closed_at}[dated]


def conditions(directory, *, user, filters: Filters, now, probe=False) -> list:
    """The SQL conditions on `cases` of the cases `user` may see that match `filters`. Filters
    naming an unknown unit, channel or value are ignored (the API refuses them before). `probe`:
    the visibility as a probe of each case (`visibility.visible_clause`)."""
    found = [visible_clause(directory, user, probe=probe)]
    if filters.case_no:
        found.append(number_search.contains_clause(filters.case_no.strip()))
    if filters.status == OPEN:
        found.append(Case.status.in_(OPEN_STATUSES))
    elif filters.status:
        found.append(Case.status == filters.status)
    if filters.category:
        found.append(category_clause(filters.category.strip()))
    if filters.unit and directory.exists(filters.unit):
        units = subtree(directory, filters.unit)
        found.append(or_(Case.community.in_(units), Case.holder_unit.in_(units), Case.handler_unit.in_(units)))
    if filters.area and directory.exists(filters.area):
        units = subtree(directory, filters.area)
        found.append(or_(Case.community.in_(units), Case.grid.in_(units)))
    if filters.overdue:
        found.append(overdue_clause(now))
    found += _window(_instant(filters.dated if filters.dated in DATED else "reported"), filters)
    if filters.channel:
        found.append(Case.channel == filters.channel)
    if filters.urgency == UNGRADED:
        found.append(Case.urgency.is_(None))
    elif filters.urgency:
        found.append(Case.urgency == filters.urgency)
    if filters.light in LIGHTS:
        found.append(light_clause(filters.light, now))
    if filters.due_on:
        found.append(and_(Case.due_at >= localtime.day_start(filters.due_on),
                          Case.due_at < localtime.day_end(filters.due_on)))
    return found


ORDER = (Case.reported_at.desc(), Case.id.desc())    # newest report first (ix_cases_*reported_at_id)


# equality filters whose index ends on the list's order: a page of them is read in order off it
ORDERED_BY_INDEX = (Case.status, Case.category, Case.channel, Case.urgency)


class _Checked(ColumnElement):
    """A condition (or an ORDER BY column) SQLite must not answer from an index: written `+(...)`
    there, so its planner, which has no statistics to tell a dense filter from a sparse one, reads
    the index `search` means it to; elsewhere the expression itself (PostgreSQL plans from its
    statistics)."""

    inherit_cache = True
    _traverse_internals = [("clause", InternalTraversal.dp_clauseelement)]

    def __init__(self, clause):
        self.clause, self.type = clause, clause.type


@compiles(_Checked)
def _itself(element, compiler, **kw):
    # in parentheses, as SQLite's `+(...)`: an OR inside must not split the WHERE's ANDs
    return f"({compiler.process(element.clause, **kw)})"


@compiles(_Checked, "sqlite")
def _not_from_an_index(element, compiler, **kw):
    return f"+({compiler.process(element.clause, **kw)})"


def _on_ordered_index(condition) -> bool:
    return isinstance(condition, BinaryExpression) and condition.operator is operators.eq and \
        any(condition.left.compare(column.expression) for column in ORDERED_BY_INDEX)


def _is_status(condition) -> bool:
    return condition.left.compare(Case.status.expression)


def _read_in_order(filters, depth, total, cases) -> bool:
    """Whether reading the list's order index down to the page's last row (`depth` rows of the
    `total` that match, about total/cases of the rows read match) reads fewer rows than gathering
    the matches and sorting them (which costs a few times more a row). Not for a window of another
    instant (deadline, filing, closing): its matches lie together somewhere down the order, not
    spread along it."""
    if filters.due_on or ((filters.date_from or filters.date_to) and filters.dated != "reported"):
        return False
    return depth * cases <= 4 * total * total


def search(session, directory, *, user, filters: Filters, now, page=1, per_page=20,
           after: Cursor | None = None) -> Page:
    """The cases `user` may see that match `filters`, newest report first, one page of them: page
    `page`, or with `after` the page after the one that cursor ended (its number is the cursor's
    next). The page's `next` is the cursor of the page after it, while there is one.

    The count and the page's ids read whichever index reads fewer rows. For a user who sees only
    their unit's cases, their unit's `case_units` rows answer the list alone: they hold the case's
    columns every filter asks (`_unit_search`). For those who see every case, a page's ids are read
    down the list order's index, checking each row, while that reads fewer rows (`_read_in_order`);
    else the matches are gathered from their filters' indexes and sorted. (A filter on a column the
    unit's rows did not hold would be read that way too, with the visibility as the set of the
    unit's cases: right, and slower.)"""
    planned_for_values(session)
    where = conditions(directory, user=user, filters=filters, now=now)
    sees_all = capabilities.can(user, "see_all_cases")
    if after is not None:
        page, offset = after.page + 1, 0
    else:
        page = max(1, page)
        offset = (page - 1) * per_page
    depth = offset + per_page
    if not sees_all and user.unit_code:
        own = on_unit_rows(where[1:])
        if own is not None:         # every filter is a column the unit's own rows hold
            return _unit_search(session, user.unit_code, own, filters, page, offset, per_page, after)
    elif sees_all and (anchor := _filtered_unit(directory, filters)):
        # A unit (or area) filter lists only cases located in, held by or handled within its
        # subtree: each a case that unit sees (those units are the case's own, and it lies above
        # them), so its rows answer the list as they answer its own users'. On `cases` the filter
        # is an OR over three place columns, which PostgreSQL merged from their indexes and then
        # checked case by case in the table (11 ms for a district's 33,000).
        own = on_unit_rows(where[1:])
        if own is not None:
            return _unit_search(session, anchor, own, filters, page, offset, per_page, after)
    if filters.status == OPEN or filters.status in OPEN_STATUSES:
        # the open cases are a few in a hundred of all the years': their status drives, rather than
        # a category, channel or urgency index (each a share of every case), which SQLite would pick
        where = [_Checked(c) if _on_ordered_index(c) and not _is_status(c) else c for c in where]
    # everyone who sees every case (or, not having a unit, none); the unit users' lists are read above
    total = count_visible(session, directory, user) if filters == Filters() else \
        session.scalar(select(func.count()).select_from(Case).where(*where))
    if offset >= total:
        return _page(session, [], total, page, per_page)
    cases = session.scalar(select(func.max(Case.id))) or 0        # about how many there are (the id index)
    gathered = not _read_in_order(filters, depth, total, cases)
    if not gathered:                                                # down the order's index
        where = [c if _on_ordered_index(c) else _Checked(c)
                 for c in conditions(directory, user=user, filters=filters, now=now, probe=True)]
    if after is not None:
        where.append(tuple_(Case.reported_at, Case.id) < tuple_(literal(after.at, UTCDateTime), literal(after.id)))
    ids = _page_ids(session, select(Case.id).where(*where), (Case.reported_at, Case.id), gathered=gathered,
                    offset=offset, per_page=per_page, total=None if after is not None else total)
    return _page(session, ids, total, page, per_page)


_PLANNED = "citygrid.search_plans"      # in session.info: the transaction planned_for_values set up


def planned_for_values(session):
    """On PostgreSQL, plan the rest of this transaction's statements for the values each is sent
    with (`plan_cache_mode = force_custom_plan`). psycopg prepares a statement once it has run five
    times on a connection, and PostgreSQL then plans it once for any values: a unit filter's IN
    lists are then compared one by one on every row instead of looked up in a hash (a city's
    65-unit filter counted its rows in 117 ms instead of 16), and a status is estimated as dense
    whether it is `closed` (85% of the cases) or `handling`. Planning each time costs tenths of a
    millisecond. Every read of the filters calls it first (`search`, `count`, `count_by`,
    `instants`, the map)."""
    if session.bind.dialect.name != "postgresql":
        return
    session.connection()
    transaction = session.get_transaction()
    planned = session.info.get(_PLANNED)
    if planned is None or planned() is not transaction:
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        session.info[_PLANNED] = weakref.ref(transaction)


def _filtered_unit(directory, filters) -> str | None:
    """The unit whose subtree the filters confine the list to (`unit`, else `area`), if any."""
    for code in (filters.unit, filters.area):
        if code and directory.exists(code):
            return code
    return None


def _page_ids(session, found, key, *, gathered, offset, per_page, total=None) -> list:
    """The ids of one page of `found` (a select of the id column, its conditions applied) in the
    list's order, newest report first (`key`: the report instant and id columns of its table):
    read down the order's index, or when `gathered` the matches gathered first and then sorted.

    A page past the middle is read from the other end (the oldest first, reversed here), when
    `total` (the count of `found`) tells where that is: the rows before a page are skipped one by
    one along the index, and the last page skipped them all. On PostgreSQL a gathering is fenced
    (its matches selected in a subquery first): its planner, whose statistics cannot tell that a
    window of another instant (a month's closings) lies together far down the report order,
    walked that order checking row after row; SQLite is told by `_Checked`."""
    limit = per_page
    newest_first = total is None or 2 * offset + per_page <= total
    if not newest_first:
        limit = min(per_page, total - offset)
        offset = total - offset - limit
    if gathered and session.bind.dialect.name == "postgresql":
        inner = found.add_columns(key[0]).offset(0).subquery()
        identity, at = list(inner.c)
        found, key = select(identity), (at, identity)
    elif gathered:
        key = tuple(_Checked(column) for column in key)
    order = [column.desc() if newest_first else column.asc() for column in key]
    ids = list(session.scalars(found.order_by(*order).limit(limit).offset(offset)))
    return ids if newest_first else ids[::-1]


def _page(session, ids, total, page, per_page) -> Page:
    """The page of the cases `ids` (in that order), with the cursor of the next page."""
    rows = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    items = [rows[i] for i in ids]
    found = Page(items=items, total=total, page=page, per_page=per_page)
    if items and page < found.pages:
        found.next = Cursor(page, items[-1].reported_at, items[-1].id).encode()
    return found


def _window(instant, filters) -> list:
    """The conditions of the window `filters.date_from`..`date_to` (Beijing dates, both included)
    on the column `instant`."""
    found = []
    if filters.date_from:
        found.append(instant >= localtime.day_start(filters.date_from))
    if filters.date_to:
        found.append(instant < localtime.day_end(filters.date_to))
    return found


# A unit's list off its own `case_units` rows, which hold the case's filter columns (UNIT_COPIES):
# a condition on `cases` is the same condition on those rows with their columns in its place.
_CASES, _UNITS = Case.__table__, CaseUnit.__table__
_ON_UNIT_ROWS = {"id": "case_id", "reported_at": "reported_at", **{name: name for name in UNIT_COPIES}}
# the columns an index of the unit's rows leads with after the unit: a filter on one can drive
_DRIVING = ("case_id", "reported_at", "status", "category", "channel", "urgency", "filed_at", "due_at",
            "closed_at", "overdue_from")


def on_unit_rows(where) -> list | None:
    """`where` (conditions on `cases`) as conditions on `case_units` rows, or None when one of them
    asks a column those rows do not hold."""
    missing = []

    def swap(element):
        if isinstance(element, Column) and element.table is _CASES:
            name = _ON_UNIT_ROWS.get(element.name)
            if name is None:
                missing.append(element.name)
                return element
            return _UNITS.c[name]
        return None
    found = [visitors.replacement_traverse(condition, {}, swap) for condition in where]
    return None if missing else found


def _driving_column(condition) -> str | None:
    """The first column of `_DRIVING` a condition on `case_units` rows asks (None: none)."""
    asked = {element.name for element in visitors.iterate(condition)
             if isinstance(element, Column) and element.table is _UNITS}
    return next((name for name in _DRIVING if name in asked), None)


def _conjuncts(conditions):
    """The conditions with every AND among them taken apart (a light is three or four conditions on
    as many columns: each may drive)."""
    for condition in conditions:
        if isinstance(condition, BooleanClauseList) and condition.operator is operators.and_:
            yield from _conjuncts(condition.clauses)
        else:
            yield condition


def _read_along(condition) -> bool:
    """Whether a condition keeps its index's rows in the list's order (an equality, or IS NULL):
    its matches are read off that index in order, never sorted."""
    return isinstance(condition, BinaryExpression) and condition.operator in (operators.eq, operators.is_)


def _unit_search(session, unit, where, filters, page, offset, per_page, after) -> Page:
    """The page of `unit`'s list whose filters are `where` on its `case_units` rows: counted and read
    off the indexes of those rows alone, no case looked up but the page's own.

    On SQLite (no statistics) the conditions are grouped by the index that could answer them
    (`_DRIVING`); with more than one group, each group's rows are counted off its index (a fraction
    of a millisecond) and the smallest drives, the other conditions checked on its rows
    (`_Checked`). A page is read down the driving index in the list's order when it is an equality
    or the report window; a range (open statuses, a class of categories, overdue, a closing window)
    is gathered and sorted, unless its matches are dense and the page near the top, which reading the
    unit's rows in order and checking each finds sooner (`_read_in_order`). PostgreSQL plans the same
    statements from its statistics."""
    mine = CaseUnit.unit_code == unit
    asked = [(condition, _driving_column(condition)) for condition in _conjuncts(where)]
    drive, sizes = None, {}
    if session.bind.dialect.name == "sqlite":
        candidates = list(dict.fromkeys(column for _, column in asked if column is not None))
        if len(candidates) > 1:
            sizes = {column: session.scalar(select(func.count()).select_from(CaseUnit).where(
                mine, *[c for c, asks in asked if asks == column])) for column in candidates}
        drive = min(candidates, key=lambda column: (sizes.get(column, 0), _DRIVING.index(column)), default=None)
        where = [c if column == drive else _Checked(c) for c, column in asked]
    total = session.scalar(select(func.count()).select_from(CaseUnit).where(mine, *where))
    if offset >= total:
        return _page(session, [], total, page, per_page)
    in_order = drive in (None, "reported_at") or all(_read_along(c) for c, column in asked if column == drive)
    # the unit's rows are at least as many as any group's: when that many already tell against
    # reading them in order, they need not be counted
    if not in_order and drive != "case_id" and \
            _read_in_order(filters, offset + per_page, total, max(sizes.values(), default=total)) and \
            _read_in_order(filters, offset + per_page, total,
                           session.scalar(select(func.count()).select_from(CaseUnit).where(mine))):
        # down the unit's rows in order (the window, if any, bounds them there), each checked
        where = [c if column == "reported_at" else _Checked(c) for c, column in asked]
        in_order = True
    found = select(CaseUnit.case_id).where(mine, *where)
    if after is not None:
        found = found.where(tuple_(CaseUnit.reported_at, CaseUnit.case_id)
                            < tuple_(literal(after.at, UTCDateTime), literal(after.id)))
    ids = _page_ids(session, found, (CaseUnit.reported_at, CaseUnit.case_id), gathered=not in_order,
                    offset=offset, per_page=per_page, total=None if after is not None else total)
    return _page(session, ids, total, page, per_page)


def count(session, directory, *, user, filters: Filters, now) -> int:
    """How many cases the list shows for these filters (its `total`)."""
    planned_for_values(session)
    return session.scalar(select(func.count(Case.id)).where(*conditions(directory, user=user, filters=filters,
                                                                        now=now)))


def count_by(session, directory, key, *, user, filters: Filters, now) -> dict:
    """{value of `key` (a column or expression of `cases`): how many cases the list shows for these
    filters with that value} (values without cases left out)."""
    planned_for_values(session)
    return dict(session.execute(select(key, func.count(Case.id))
                                .where(*conditions(directory, user=user, filters=filters, now=now))
                                .group_by(key)).all())


def instants(session, directory, column, *, user, filters: Filters, now) -> list:
    """The values of an instant column (e.g. Case.reported_at) of the cases the list shows for these
    filters, for bucketing by Beijing date (SQL has no portable way to)."""
    planned_for_values(session)
    return list(session.scalars(select(column).where(*conditions(directory, user=user, filters=filters, now=now))))


QUERY_NAMES = {"case_no": "case_no", "date_from": "from", "date_to": "to", "due_on": "due"}


def to_query(filters: Filters) -> dict:
    """The filters as the case list's query string ({name: text}, only those set): the names the web
    list (`/cases`) and `GET /api/v1/cases` read (the API calls the number `q`)."""
    found = {}
    for item in fields(Filters):
        value = getattr(filters, item.name)
        if item.name == "dated" and value == "reported":
            continue
        if value in ("", None, False):
            continue
        found[QUERY_NAMES.get(item.name, item.name)] = ("1" if value is True else
                                                        value.isoformat() if isinstance(value, date) else str(value))
    return found
