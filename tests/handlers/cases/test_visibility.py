"""cases.visibility: who sees a case, in Python (`can_see`) and in SQL (`visible_clause`), on cases
that went different ways (dispatched down and handled, returned by a district and sent elsewhere,
given to a city department, not yet filed): the two agree for every demo user, and a unit that
returned a case still sees it; the index holds the units above a case's own (migration 0015)."""
from alembic import command
from sqlalchemy import select

from engine import schema
from handlers.audit import verify as audit
from handlers.cases import search, service as cases, visibility
from handlers.cases.models import Case, CaseUnit
from handlers.org import units
from handlers.org.models import Unit, User
from tests.handlers.cases.test_lifecycle import CENTER, JIALIAN, SIMING, YINGCUI, file_case

HULI = "350206"
FACILITIES = "350200901"
HAICANG_COMMUNITY = "350205001001"
TONGAN_COMMUNITY = "350212001001"


def varied_cases(city):
    """{name: case number} of four cases that went four ways."""
    handled = file_case(city)
    city.dispatch_down(handled, SIMING, JIALIAN, YINGCUI)
    returned = file_case(city, reported="2026-03-02 16:20", filed="2026-03-02 16:25")
    city.complete(returned, "dispatch", "dispatcher", action="assign", unit=HULI)
    city.complete(returned, "dispatch", f"officer-{HULI}", action="return", reason="不属于湖里区")
    city.complete(returned, "dispatch", "dispatcher", action="assign", unit=SIMING)
    department = file_case(city, reported="2026-03-02 16:30", filed="2026-03-02 16:35", channel="hotline12345",
                           grid=None, community=TONGAN_COMMUNITY)
    city.complete(department, "dispatch", "dispatcher", action="assign", unit=FACILITIES)
    unfiled = city.report(channel="hotline12345", community=HAICANG_COMMUNITY, grid=None)
    return {"handled": handled, "returned": returned, "department": department, "unfiled": unfiled}


def seen_both_ways(city, username):
    """(case numbers can_see says, case numbers the SQL predicate gives) for one user."""
    def read(session):
        user = session.scalar(select(User).where(User.username == username))
        everything = session.scalars(select(Case)).all()
        in_python = {c.case_no for c in everything if visibility.can_see(city.directory, user, c)}
        in_sql = set(session.scalars(select(Case.case_no).where(visibility.visible_clause(city.directory, user))))
        probed = set(session.scalars(select(Case.case_no).where(visibility.visible_clause(city.directory, user,
                                                                                          probe=True))))
        assert probed == in_sql and visibility.count_visible(session, city.directory, user) == len(in_sql), username
        return in_python, in_sql
    return city.work(read)


def test_python_and_sql_agree_for_every_user(city):
    varied_cases(city)
    usernames = city.work(lambda s: list(s.scalars(select(User.username).order_by(User.username))))
    assert len(usernames) == 78 and "supervisor-350203" in usernames      # with the eight supervisors
    for username in usernames:
        in_python, in_sql = seen_both_ways(city, username)
        assert in_python == in_sql, username


def test_who_sees_what(city):
    numbers = varied_cases(city)
    everything = set(numbers.values())

    def seen(username):
        return {name for name, no in numbers.items() if no in seen_both_ways(city, username)[0]}
    assert {no for no in everything if no in seen_both_ways(city, "intake")[0]} == everything   # the center
    assert seen("auditor") == set(numbers)
    assert seen(f"officer-{SIMING}") == {"handled", "returned"}
    assert seen(f"officer-{YINGCUI}") == {"handled", "returned"}    # reported in its grid
    assert seen(f"officer-{HULI}") == {"returned"}                  # returned it, still sees it
    assert seen(f"officer-{FACILITIES}") == {"department"}
    assert seen("officer-350205") == {"unfiled"}                    # 海沧区: where it was reported
    assert seen("officer-350212") == {"department"}                 # 同安区: in its territory
    assert seen("officer-350213") == set()                          # 翔安区: nothing of its own
    assert seen("supervisor-committee") == set(numbers)             # 市城管委: the whole city, by its unit
    assert seen(f"supervisor-{SIMING}") == seen(f"officer-{SIMING}")  # 区政府: its district's subtree


def test_the_case_units_index_is_the_case_rows_units_and_every_unit_above_them(city):
    numbers = varied_cases(city)

    def read(session):
        found = {}
        for case in session.scalars(select(Case)):
            indexed = set(session.scalars(select(CaseUnit.unit_code).where(CaseUnit.case_id == case.id)))
            found[case.case_no] = (indexed, visibility.units_of(case))
        return found
    found = city.work(read)
    for case_no, (indexed, units) in found.items():
        assert indexed == {a for unit in units for a in city.directory.ancestors(unit)}, case_no   # with themselves
    indexed, units = found[numbers["department"]]     # 同安区's community, given to a city department
    assert indexed - units == {"350212001", "350212"}     # the community's street and district see it too
    returned = city.work(lambda s: visibility.units_of(cases.get_by_no(s, numbers["returned"])))
    assert {CENTER, HULI, SIMING, YINGCUI} <= returned


def test_search_lists_and_counts_only_what_the_user_sees(city):
    varied_cases(city)
    now = city.now()

    def page(username):
        def read(session):
            user = session.scalar(select(User).where(User.username == username))
            found = search.search(session, city.directory, user=user, filters=search.Filters(), now=now)
            return found.total, {c.case_no for c in found.items}
        return city.work(read)
    total, items = page(f"officer-{HULI}")
    assert total == len(items) == 1
    assert page("intake")[0] == 4


def test_an_area_with_a_window_lists_what_it_counts(city):
    """The area filter is an OR of two columns: inside the query of a page read down the list's
    order it must stay one condition (it once split the WHERE on PostgreSQL and listed a case from
    outside the window)."""
    cases = varied_cases(city)                   # 2 March: two of them in 思明区
    later = file_case(city, reported="2026-03-03 09:00", filed="2026-03-03 09:05")
    now = city.now()
    day = now.date().replace(day=2)
    filters = search.Filters(area=SIMING, date_from=day, date_to=day)

    def pages(session):
        user = session.scalar(select(User).where(User.username == f"supervisor-{SIMING}"))
        found = [search.search(session, city.directory, user=user, filters=filters, now=now, page=n, per_page=1)
                 for n in (1, 2)]
        return [f.total for f in found], [c.case_no for f in found for c in f.items]
    assert city.work(pages) == ([2, 2], [cases["returned"], cases["handled"]]) and later not in cases.values()


def test_a_place_is_seen_by_whoever_sees_a_case_reported_there(city):
    """`sees_unit` (a camera on its grid) is the case rule for one unit: for every user and every grid
    it agrees with `can_see` on a case just reported there."""
    def read(session):
        users = session.scalars(select(User).order_by(User.username)).all()
        disagree, grids = [], city.directory.of_kind("grid")
        for grid in grids:
            reported = Case(community=city.directory.parent(grid), grid=grid, reached=[])
            disagree += [(u.username, grid) for u in users if visibility.sees_unit(city.directory, u, grid)
                         != visibility.can_see(city.directory, u, reported)]
        return disagree, len(grids) * len(users)
    disagree, pairs = city.work(read)
    assert pairs > 1000 and disagree == []


def test_the_migration_adds_the_units_above_to_cases_stored_before(city):
    """0015 turned case_units from a case's own units into those and every unit above them; going
    down gives back the own units, coming up again adds the units above to what was stored."""
    numbers = varied_cases(city)

    def index(session):
        return {no: set(session.scalars(select(CaseUnit.unit_code).join(Case, Case.id == CaseUnit.case_id)
                                        .where(Case.case_no == no))) for no in numbers.values()}
    before = city.work(index)
    own = city.work(lambda s: {no: visibility.units_of(cases.get_by_no(s, no)) for no in numbers.values()})
    url = city.db.url
    city.db.dispose()
    command.downgrade(schema.config(url), "0014")
    assert city.work(index) == own != before
    schema.upgrade(url)
    assert city.work(index) == before
    assert seen_both_ways(city, "officer-350212")[1] == {numbers["department"]}


def test_a_moved_unit_takes_its_ended_cases_along(city):
    """A community moved to another street (the admin page's `org.units.move`; none of its cases
    open): its ended cases are seen by the new street and no longer by the old one, in Python and
    in SQL alike, and they still verify."""
    city.set_clock("2026-03-02 16:05")
    voided = city.report("grid-35020301100101", grid="35020301100101")          # 莲秀社区, 嘉莲街道
    city.complete(voided, "accept_report", "intake", decision="void", reason="重复上报")
    assert voided in seen_both_ways(city, f"officer-{JIALIAN}")[1]
    now = city.now()
    moved = city.work(lambda s: units.move(s, actor="admin", at=now, code="350203011001", parent_code="350203008",
                                           open_cases=lambda code: 0, moved=visibility.reindex_below))
    assert moved.parent_code == "350203008"
    city.directory.invalidate()
    for username in ("officer-350203008", f"officer-{JIALIAN}", f"officer-{SIMING}", "officer-350206"):
        in_python, in_sql = seen_both_ways(city, username)
        assert in_python == in_sql, username
    assert voided in seen_both_ways(city, "officer-350203008")[1]              # 筼筜街道, its street now
    assert voided not in seen_both_ways(city, f"officer-{JIALIAN}")[1]
    assert city.work(lambda s: audit.verify_case(s, city.runtime, voided)).ok


def test_the_units_that_see_a_case_are_the_same_from_the_directory_and_from_the_table(city):
    """A step reads them off the in-memory org tree; an audit, and a unit the process's copy of the
    tree does not know yet (added by another process since its last request), off the units table."""
    def compare(session):
        codes = session.scalars(select(Unit.code)).all()
        for code in codes:
            assert visibility.seeing(session, {code}, city.directory) == visibility.seeing(session, {code}), code
        assert visibility.seeing(session, {YINGCUI, HULI}, city.directory) == {YINGCUI, JIALIAN, SIMING, HULI, CENTER}
        return len(codes)
    assert city.work(compare) > 20
    city.directory.warm()
    new, now = "350203011099", city.now()
    city.work(lambda s: units.add(s, actor="admin", at=now, code=new, name="新设社区",
                                  kind="community", parent_code=JIALIAN))
    assert not city.directory.exists(new)     # this copy of the tree predates it
    found = city.work(lambda s: visibility.seeing(s, {new}, city.directory))
    assert found == {new, JIALIAN, SIMING, CENTER}
