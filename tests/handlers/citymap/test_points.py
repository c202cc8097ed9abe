"""citymap.points: the cases a viewer may see as points — at the coordinates they were reported
with, or at their grid's or community's centre (marked `unit`) — with the deadline light of
`cases.deadlines` and the urgency, as filtered by status, category, urgency and period."""
from sqlalchemy import select

from handlers.cases import deadlines, search, service as cases, visibility
from handlers.cases.models import Case
from handlers.demo import tree
from handlers.org.models import Unit, User
from tests.handlers.citymap.scenario import PHONE, TANGBIAN, YINGCUI, by_name, city_map, scenario

OPEN = {"placed", "grid_centre", "hotline", "tongan"}


def test_points_where_reported_or_at_their_units_centre(city):
    numbers = scenario(city)
    found = city_map(city, "supervisor-committee")
    points = by_name(numbers, found)
    assert set(points) == OPEN                                  # the open cases, by default
    demo_centres = tree.centres()
    placed = points["placed"]
    assert (placed.lng, placed.lat, placed.placed, placed.placed_at) == (*PHONE["placed"], "reported", None)
    grid_centre = points["grid_centre"]
    assert (grid_centre.placed, grid_centre.placed_at) == ("unit", "35020301100302")
    assert (grid_centre.lng, grid_centre.lat) == demo_centres["35020301100302"]
    hotline = points["hotline"]                                  # a call names the community only
    assert (hotline.placed, hotline.placed_at, hotline.placed_at_name, hotline.grid) == ("unit", TANGBIAN, "塘边社区",
                                                                                          None)
    assert (hotline.lng, hotline.lat) == demo_centres[TANGBIAN]
    assert points["tongan"].placed == "reported" and (points["tongan"].lng, points["tongan"].lat) == PHONE["tongan"]
    assert {n: (p.urgency, p.light, p.district, p.district_name) for n, p in points.items()} == {
        "placed": ("A", "green", "350203", "思明区"), "grid_centre": ("B", "green", "350203", "思明区"),
        "hotline": (None, None, "350206", "湖里区"), "tongan": ("C", "green", "350212", "同安区")}
    assert (placed.category_name, placed.holder_unit, placed.holder_name) == ("乱倒乱排污水废水", "350200",
                                                                             "厦门市智慧城市管理监督指挥中心")
    assert placed.due_at == city.work(lambda s: cases.get_by_no(s, placed.case_no).due_at)
    assert [p.case_no for p in found.points] == [numbers[n] for n in ("tongan", "hotline", "grid_centre", "placed")]
    summary = found.summary
    assert (summary.total, summary.shown, summary.reported, summary.unit, summary.unplaced, summary.truncated) == \
        (4, 4, 2, 2, 0, False)
    assert summary.lights == {"green": 3, "yellow": 0, "red": 0, "done": 0, "done-late": 0, "none": 1}


def test_the_light_is_the_deadline_rule(city):
    numbers = scenario(city)
    # A filed Mon 09:05: warned at 80% of 7 office hours (Mon 17:11), due Tue 09:05; B due Wed 09:15.
    for when, expected in [("2026-03-02 17:10", "green"), ("2026-03-02 17:11", "yellow"),
                           ("2026-03-03 09:04", "yellow"), ("2026-03-03 09:05", "red")]:
        city.set_clock(when)
        points = by_name(numbers, city_map(city, "supervisor-committee"))
        assert points["placed"].light == expected, when
        assert points["grid_centre"].light == "green", when

        def rule(session):
            now = city.runtime.clock.now()
            return {no: deadlines.colour(cases.get_by_no(session, no), now) for no in numbers.values()}
        lights = city.work(rule)
        assert all(p.light == lights[p.case_no] for p in points.values())
    assert city_map(city, "supervisor-committee").summary.overdue == 1


def test_everyone_sees_the_points_of_the_cases_they_may_see(city):
    numbers = scenario(city)

    def open_and_visible(session):
        users = session.scalars(select(User).order_by(User.username)).all()
        rows = session.scalars(select(Case).where(Case.status.in_(["accepting", "dispatching"]))).all()
        return {u.username: {c.case_no for c in rows if visibility.can_see(city.directory, u, c)} for u in users}
    expected = city.work(open_and_visible)
    assert len(expected) == 78
    for username, seen in expected.items():
        assert {p.case_no for p in city_map(city, username).points} == seen, username
    names = {no: name for name, no in numbers.items()}
    assert {names[no] for no in expected["supervisor-350203"]} == {"placed", "grid_centre"}
    assert {names[no] for no in expected["officer-350206"]} == {"hotline"}
    assert {names[no] for no in expected["grid-35020301100302"]} == {"grid_centre"}


def test_filters_status_category_urgency_and_period(city):
    numbers = scenario(city)

    def seen(**query):
        return set(by_name(numbers, city_map(city, "supervisor-committee", **query)))
    assert seen(urgency="A") == {"placed"}
    assert seen(category="200115") == {"placed", "grid_centre"}
    assert seen(category="2005") == {"tongan"}                  # a major class: 2005 街面秩序
    assert seen(status="accepting") == {"hotline"}
    everything = set(numbers)
    assert seen(period="2026-03") == everything                 # a period: every status reported in it
    assert seen(period="2026-Q1") == everything
    assert seen(**{"from": "2026-03-02", "to": "2026-03-02"}) == everything
    assert seen(period="2026-02") == set()
    assert seen(period="2026-03", status="open") == OPEN
    assert seen(period="2026-03", status="voided") == {"voided"}
    points = by_name(numbers, city_map(city, "supervisor-committee", period="2026-03"))
    assert (points["closed"].light, points["voided"].light) == ("done", None)
    assert points["closed"].holder_unit is None


def test_only_the_newest_are_drawn_beyond_the_limit(city):
    numbers = scenario(city)
    found = city_map(city, "supervisor-committee", limit=2)
    assert [p.case_no for p in found.points] == [numbers["tongan"], numbers["hotline"]]
    assert (found.summary.total, found.summary.shown, found.summary.truncated) == (4, 2, True)


def test_a_grid_without_a_centre_places_at_its_community_and_no_place_at_all_is_counted_not_drawn(city):
    numbers = scenario(city)

    def no_centres(*codes):
        def clear(session):
            for code in codes:
                unit = session.get(Unit, code)
                unit.lng = unit.lat = None
        city.work(clear)
        city.directory.invalidate()
    no_centres("35020301100302")                 # the grid only: its community's centre instead
    grid_centre = by_name(numbers, city_map(city, "supervisor-committee"))["grid_centre"]
    assert (grid_centre.placed, grid_centre.placed_at, grid_centre.placed_at_name) == ("unit", YINGCUI, "盈翠社区")
    assert (grid_centre.lng, grid_centre.lat) == tree.centres()[YINGCUI]
    no_centres(*city.directory.ancestors(TANGBIAN))      # 塘边社区 and everything above it, the city too
    found = city_map(city, "supervisor-committee")
    assert numbers["hotline"] not in {p.case_no for p in found.points}
    assert (found.summary.total, found.summary.unit, found.summary.unplaced) == (4, 1, 1)
    assert search.OPEN == found.filters.effective_status
