"""The case list's index-backed filters list exactly what the definitions they stand for list, on
SQLite and PostgreSQL, through the services and the migrations: `q` off the case numbers' suffixes
as `case_no LIKE '%q%'`, for every part of every number (one, two, three and more digits) and for
misses; `overdue` off the stored `overdue_from` as the two-column rule, and light=red likewise, for
cases open and ended (late, in time, exactly at the deadline, never filed), at instants before, at
and after their deadlines and closings; a unit's pages, read off its `case_units` index, equal to
the whole list walked page by page and by cursor; a unit's list, read off its `case_units` rows
(which hold the case's columns every filter asks), listing what the same filters list on the cases,
whichever of them drives; the copies kept equal to the case rows through every step; and the
migrations giving the cases stored before them the same rows."""
from dataclasses import fields
from datetime import date

from alembic import command
from sqlalchemy import and_, func, or_, select

from engine import schema
from handlers.cases import search
from handlers.cases.models import UNIT_COPIES, Case, CaseUnit
from handlers.cases.number_search import CaseNoSuffix
from handlers.cases.visibility import visible_clause
from handlers.org.models import User
from tests.handlers.cases.test_lifecycle import GRID_USER, JIALIAN, SIMING, YINGCUI, file_case
from tests.helpers import at

HULI_GRID = "35020600100101"
USERS = ("intake", f"officer-{JIALIAN}", "officer-350206", "officer-350213")   # all, a street, 湖里区, nobody's


def close(city, case_no, handled, closed):
    """Handle the case at 盈翠 and close it: handled at `handled`, closed at `closed` (Beijing)."""
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    city.set_clock(handled)
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="已处置")
    city.review_up(case_no, JIALIAN, SIMING, "350200")
    city.complete(case_no, "check_result", GRID_USER, passed=True, note="已核查")
    city.set_clock(closed)
    city.complete(case_no, "close_case", "shiftlead", comment="结案")


def some_cases(city):
    """{name: case number}: reports over three days (numbers of varied digits), cases open before
    and after their deadline, ended late, in time and exactly at the deadline, voided, never filed,
    two in 湖里区 (one of them returned by 思明区)."""
    found = {}
    for n, when in enumerate(("2026-01-23 09:00", "2026-01-23 09:01", "2026-02-11 10:00")):
        city.set_clock(when)
        found[f"report{n}"] = city.report()
    found["late"] = file_case(city, reported="2026-03-02 16:05", filed="2026-03-02 16:10")     # due 03-03 16:10
    close(city, found["late"], "2026-03-04 09:00", "2026-03-04 10:00")
    found["in_time"] = file_case(city, reported="2026-03-02 16:20", filed="2026-03-02 16:25")  # due 03-03 16:25
    close(city, found["in_time"], "2026-03-03 09:00", "2026-03-03 10:00")
    found["exact"] = file_case(city, reported="2026-03-02 16:30", filed="2026-03-02 16:35")    # due 03-03 16:35
    close(city, found["exact"], "2026-03-03 11:00", "2026-03-03 16:35")
    found["open"] = file_case(city, reported="2026-03-03 16:40", filed="2026-03-03 16:45")     # due 03-04 16:45
    found["huli"] = file_case(city, reported="2026-03-03 16:50", filed="2026-03-03 16:55", grid=HULI_GRID,
                              address="湖里区湖里街道", category="200509")
    # dispatched to 思明区 by mistake and returned: 思明区 still sees it, but it is neither there nor
    # held or handled there
    found["returned"] = file_case(city, reported="2026-03-03 16:56", filed="2026-03-03 16:57", grid=HULI_GRID,
                                  address="湖里区湖里街道", category="200509")
    city.complete(found["returned"], "dispatch", "dispatcher", action="assign", unit=SIMING)
    city.complete(found["returned"], "dispatch", f"officer-{SIMING}", action="return", reason="不属本区")
    city.complete(found["returned"], "dispatch", "dispatcher", action="assign", unit="350206")
    city.set_clock("2026-03-03 17:00")
    found["voided"] = city.report()
    city.complete(found["voided"], "accept_report", "intake", decision="void", reason="重复上报")
    found["unfiled"] = city.report()
    return found


def listed(city, username, filters, now, per_page=100, page=1):
    """(total, case numbers) of one page of the list."""
    def read(session):
        user = session.scalar(select(User).where(User.username == username))
        found = search.search(session, city.directory, user=user, filters=filters, now=now, page=page,
                              per_page=per_page)
        return found.total, [c.case_no for c in found.items]
    return city.work(read)


def defined(city, username, condition):
    """The case numbers the user sees that meet `condition` (plain SQL: the definition), in the
    list's order."""
    def read(session):
        user = session.scalar(select(User).where(User.username == username))
        return list(session.scalars(select(Case.case_no).where(visible_clause(city.directory, user), condition)
                                    .order_by(*search.ORDER)))
    return city.work(read)


def assert_lists(city, filters, now, condition):
    for username in USERS:
        expected = defined(city, username, condition)
        assert listed(city, username, filters, now) == (len(expected), expected), (username, filters, now)


def test_q_lists_what_the_number_contains(city):
    numbers = list(some_cases(city).values())
    now = city.now()
    parts = {n[i:j] for n in numbers for i in range(len(n)) for j in range(i + 1, len(n) + 1)}
    misses = {"999", "0000000", "20260399", "2026030200001999", "12a", "%", "_1", "二"}
    assert {len(p) for p in parts} == set(range(1, 14))
    for q in sorted(parts | misses):
        assert_lists(city, search.Filters(case_no=q), now, Case.case_no.contains(q, autoescape=True))
    assert listed(city, "intake", search.Filters(case_no=numbers[0]), now)[1] == [numbers[0]]
    assert listed(city, "intake", search.Filters(case_no="202601"), now)[0] == 2      # 23 January's two


def test_overdue_and_red_list_what_the_deadline_rule_lists(city):
    cases = some_cases(city)
    old_red = and_(Case.filed_at.is_not(None), Case.due_at.is_not(None), Case.closed_at.is_(None))
    instants = ("2026-03-02 12:00",                     # before every deadline (and before the closings)
                "2026-03-03 16:34", "2026-03-03 16:35", "2026-03-03 16:36",    # around `exact`'s
                "2026-03-04 16:44", "2026-03-04 16:45", "2026-03-04 16:46",    # around `open`'s
                "2026-03-10 09:00")
    seen = {}
    for when in instants:
        now = at(when)
        assert_lists(city, search.Filters(overdue=True), now, search.overdue_definition(now))
        red = and_(old_red, search.overdue_clause_at(Case.due_at, now))
        assert_lists(city, search.Filters(light="red"), now, red)
        assert_lists(city, search.Filters(overdue=True, status=search.OPEN), now,
                     and_(search.overdue_definition(now), Case.status.in_(search.OPEN_STATUSES)))
        seen[when] = set(listed(city, "intake", search.Filters(overdue=True), now)[1])
    names = {no: name for name, no in cases.items()}
    assert {names[no] for no in seen["2026-03-02 12:00"]} == {"late", "exact"}    # ended late: overdue at any now
    assert {names[no] for no in seen["2026-03-04 16:44"]} == {"late", "exact"}
    assert {names[no] for no in seen["2026-03-04 16:45"]} == {"late", "exact", "open"}        # at its deadline
    assert {names[no] for no in seen["2026-03-10 09:00"]} == {"late", "exact", "open", "huli", "returned"}


def test_pages_read_off_the_index_are_the_whole_list_walked(city):
    some_cases(city)
    now = city.now()
    for username in USERS:
        for filters, condition in ((search.Filters(), Case.id.is_not(None)),
                                   (search.Filters(status="closed"), Case.status == "closed"),
                                   (search.Filters(overdue=True), search.overdue_definition(now)),
                                   (search.Filters(case_no="2026"), Case.case_no.contains("2026"))):
            expected = defined(city, username, condition)
            by_number = [no for page in range(1, len(expected) + 2)
                         for no in listed(city, username, filters, now, per_page=2, page=page)[1]]
            assert by_number == expected, (username, filters)

            def by_cursor(session):
                user = session.scalar(select(User).where(User.username == username))
                walked, after = [], None
                while True:
                    found = search.search(session, city.directory, user=user, filters=filters, now=now,
                                          per_page=3, after=after)
                    walked += [c.case_no for c in found.items]
                    if found.next is None:
                        return walked
                    after = search.Cursor.decode(found.next)
            assert city.work(by_cursor) == expected, (username, filters)


# filters a unit's own rows hold, alone and together (several of them: the smallest drives on SQLite)
ON_UNIT_ROWS = [
    search.Filters(status="closed"), search.Filters(status=search.OPEN), search.Filters(status="handling"),
    search.Filters(category="200509"), search.Filters(category="2005"), search.Filters(category="2001"),
    search.Filters(channel="grid"), search.Filters(urgency="A"), search.Filters(urgency=search.UNGRADED),
    search.Filters(unit=SIMING), search.Filters(unit=YINGCUI), search.Filters(area=YINGCUI),
    search.Filters(overdue=True), search.Filters(light="red"),
    search.Filters(dated="closed", date_from=date(2026, 3, 3), date_to=date(2026, 3, 4)),
    search.Filters(date_from=date(2026, 3, 2), date_to=date(2026, 3, 3)),
    search.Filters(case_no="202603"), search.Filters(case_no="2026030200001"),
    search.Filters(status=search.OPEN, category="2005", urgency="A"),
    search.Filters(status="closed", overdue=True), search.Filters(unit=SIMING, status="closed", urgency="A"),
    search.Filters(area=YINGCUI, overdue=True, date_from=date(2026, 3, 2)),
    search.Filters(category="2001", channel="grid", case_no="2026"),
    search.Filters(due_on=date(2026, 3, 3)), search.Filters(dated="filed", date_from=date(2026, 3, 3)),
    search.Filters(light="yellow"), search.Filters(light="green"),
    search.Filters(light="green", category="2005", dated="filed", date_to=date(2026, 3, 3)),
    # every field at once
    search.Filters(case_no="2026", status=search.OPEN, category="2005", unit=SIMING, overdue=True,
                   date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), dated="filed", area=SIMING,
                   channel="grid", urgency="A", light="red", due_on=date(2026, 3, 4)),
]


def test_a_units_list_off_its_own_rows_lists_what_the_cases_list(city):
    """A unit's list is counted and paged off its `case_units` rows, whatever the filters (every
    field of `Filters` is a column those rows hold: `search.on_unit_rows`); the same filters on the cases
    (`conditions`, tested against their definitions above) list the same cases in the same order,
    in one page and two at a time, at instants before and after the deadlines."""
    every = ON_UNIT_ROWS[-1]     # a filter added to Filters must be added there (and to the rows)
    assert all(getattr(every, field.name) != field.default for field in fields(search.Filters))
    some_cases(city)
    for when in ("2026-03-03 17:00", "2026-03-10 09:00"):
        now = at(when)
        for filters in ON_UNIT_ROWS:
            for username in USERS:
                def on_cases(session):
                    user = session.scalar(select(User).where(User.username == username))
                    where = search.conditions(city.directory, user=user, filters=filters, now=now)
                    assert search.on_unit_rows(where[1:]) is not None, filters     # the unit's rows hold them
                    return and_(*where[1:])
                expected = defined(city, username, city.work(on_cases))
                assert listed(city, username, filters, now) == (len(expected), expected), (username, filters, when)
                by_two = [no for page in range(1, len(expected) // 2 + 2)
                          for no in listed(city, username, filters, now, per_page=2, page=page)[1]]
                assert by_two == expected, (username, filters, when)
    assert listed(city, f"officer-{JIALIAN}", search.Filters(status="closed"), now)[0] == 3


def test_the_units_rows_hold_what_their_case_holds(city):
    """After reports, filings, dispatches, handling, closings and a void, every `case_units` row
    holds its case's columns (UNIT_COPIES) as the case row does."""
    some_cases(city)

    def differing(session):
        joined = select(CaseUnit.case_id, CaseUnit.unit_code).join(Case, Case.id == CaseUnit.case_id)
        differs = or_(*[getattr(CaseUnit, name).is_distinct_from(getattr(Case, name)) for name in UNIT_COPIES])
        return (session.execute(joined.where(differs)).all(), session.scalar(
            select(func.count()).select_from(CaseUnit).where(CaseUnit.closed_at.is_not(None),
                                                             CaseUnit.holder_unit.is_(None))))
    wrong, closed_rows = city.work(differing)
    assert wrong == [] and closed_rows > 0


def test_the_migration_gives_the_cases_stored_before_their_rows(city):
    """0018 down and up again (and 0020 with it): the suffixes of the numbers, overdue_from, the
    report instant and the case's filter columns on case_units are rebuilt from what the cases
    hold, the same as the services wrote them."""
    some_cases(city)
    copies = [getattr(CaseUnit, name) for name in UNIT_COPIES]

    def stored(session):
        return (sorted(session.execute(select(CaseNoSuffix.suffix, CaseNoSuffix.case_id)).all()),
                sorted(session.execute(select(Case.id, Case.overdue_from)).all()),
                sorted(session.execute(select(CaseUnit.case_id, CaseUnit.unit_code, CaseUnit.reported_at,
                                              *copies)).all(), key=repr))
    before = city.work(stored)
    assert len(before[0]) == 11 * len(before[1]) and any(f for _, f in before[1]) and before[2]
    url = city.db.url
    city.db.dispose()
    command.downgrade(schema.config(url), "0017")
    schema.upgrade(url)
    assert city.work(stored) == before
