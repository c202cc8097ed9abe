"""The dashboard of a scripted November 2026, played through the real services in simulated time
(timers swept before every step, tests/handlers/evaluation/test_month.Script) up to Thu 11-26 15:00,
on SQLite and PostgreSQL: every figure of 思明区, of the city, of a community and of a department
against numbers worked out by hand below; who may watch which unit.

Office hours in November: 08:00-12:00 and 14:30-17:30, no holidays. A is 1 working day (7 h), B 2,
C 4; the warning (yellow) at 80% of the limit. "Now" is Thu 11-26 15:00.

| case | where | reported | what | now |
| --- | --- | --- | --- | --- |
| D10 | 盈翠 (grid) | Mon 10-19 09:00 | C, taken by 盈翠, never handled | handling, red |
| D1 | 盈翠 (grid) | Mon 11-02 08:55 | C, 盈翠, handled on time, closed 11-03 | closed |
| D11 | 盈翠 (grid) | Mon 11-09 08:55 | A due Tue 09:00, 盈翠 checked Wed 11-11: late, closed | closed |
| D7 | 盈翠 (grid) | Mon 11-16 09:00 | voided | voided |
| D8 | 湖滨 (wechat) | Tue 11-17 08:55, 100102 | C, 湖滨, on time, closed Fri 11-20 | closed |
| D12 | 湖里社区 (hotline) | Mon 11-23 08:55 | B due Wed 09:00, 市政园林局 late, closed Wed | closed |
| D2 | 莲秀 (grid) | Tue 11-24 08:55 | A due Wed 11-25 09:00, taken by 莲秀 | handling, red |
| D5 | 华林 (grid) | Wed 11-25 09:55 | A filed 10:00, due Thu 10:00, at 思明区 | dispatching, red, due today |
| D4 | 湖滨 (grid) | Wed 11-25 15:55 | A filed 16:00, warns Thu 14:36, due Thu 16:00, 湖滨 | handling, yellow, due today |
| D3 | 盈翠 (hotline) | Thu 11-26 09:00, 200509 | B filed 09:05, warns Fri 15:47, at 思明区 | dispatching, green |
| D9 | 湖里社区 (grid) | Thu 11-26 09:30 | B filed 09:35, at 湖里区 | dispatching, green |
| D6 | 盈翠 (grid) | Thu 11-26 10:00 | not accepted yet | accepting |
"""
from types import SimpleNamespace

import pytest

from engine.instances import NotFound
from handlers.categories.catalogue import get_catalogue
from handlers.errors import Invalid
from handlers.supervision import dashboard as supervision, scope
from handlers.workcalendar.worktime import get_calendar
from tests.conftest import plays
from tests.handlers.evaluation.test_month import (CENTER, FACILITIES, GRID, HUALIN, HUBIN, HULI, HULI_COMMUNITY,
                                                  JIALIAN, LIANXIU, SIMING, YINGCUI, YUNDANG, Script, sweep_all)
from tests.helpers import at

NOW = "2026-11-26 15:00"


def november():
    s = Script()
    s.taken("D10", report_at="2026-10-19 08:55", place=YINGCUI, urgency="C", handler=YINGCUI)
    s.handled("D1", report_at="2026-11-02 08:55", place=YINGCUI, urgency="C", handler=YINGCUI,
              handle_at="2026-11-03 10:00", check_at="2026-11-03 15:00", close_at="2026-11-03 16:00")
    s.handled("D11", report_at="2026-11-09 08:55", place=YINGCUI, urgency="A", handler=YINGCUI,
              handle_at="2026-11-11 10:00", check_at="2026-11-11 11:00", close_at="2026-11-11 11:30")
    s.report("D7", "2026-11-16 09:00", YINGCUI)
    s.step("D7", "2026-11-16 09:10", "accept_report", "intake", decision="void", reason="重复上报")
    s.report("D8", "2026-11-17 08:55", HUBIN, channel="wechat", category="100102")
    s.step("D8", "2026-11-17 09:00", "accept_report", "intake", decision="file", urgency="C")
    for n, (holder, unit) in enumerate(zip(["350200", SIMING, YUNDANG], [SIMING, YUNDANG, HUBIN])):
        s.step("D8", f"2026-11-17 09:0{n + 1}", "dispatch", "dispatcher" if holder == "350200" else f"officer-{holder}",
               action="assign", unit=unit)
    s.step("D8", "2026-11-17 09:05", "dispatch", f"officer-{HUBIN}", action="handle")
    s.finish("D8", HUBIN, HUBIN, handle_at="2026-11-20 10:00", check_at="2026-11-20 15:00", close_at="2026-11-20 16:00")
    s.handled("D12", report_at="2026-11-23 08:55", place=HULI_COMMUNITY, urgency="B", handler=FACILITIES,
              channel="hotline12345", handle_at="2026-11-25 10:00", check_at="2026-11-25 11:00",
              close_at="2026-11-25 11:30")
    s.taken("D2", report_at="2026-11-24 08:55", place=LIANXIU, urgency="A", handler=LIANXIU)
    s.report("D5", "2026-11-25 09:55", HUALIN)
    s.step("D5", "2026-11-25 10:00", "accept_report", "intake", decision="file", urgency="A")
    s.step("D5", "2026-11-25 10:05", "dispatch", "dispatcher", action="assign", unit=SIMING)
    s.report("D4", "2026-11-25 15:55", HUBIN)
    s.step("D4", "2026-11-25 16:00", "accept_report", "intake", decision="file", urgency="A")
    for n, (holder, unit) in enumerate(zip(["350200", SIMING, YUNDANG], [SIMING, YUNDANG, HUBIN])):
        s.step("D4", f"2026-11-25 16:0{n + 1}", "dispatch", "dispatcher" if holder == "350200" else f"officer-{holder}",
               action="assign", unit=unit)
    s.step("D4", "2026-11-25 16:05", "dispatch", f"officer-{HUBIN}", action="handle")
    s.report("D3", "2026-11-26 09:00", YINGCUI, channel="hotline12345", category="200509")
    s.step("D3", "2026-11-26 09:05", "accept_report", "intake", decision="file", urgency="B")
    s.step("D3", "2026-11-26 09:10", "dispatch", "dispatcher", action="assign", unit=SIMING)
    s.report("D9", "2026-11-26 09:30", HULI_COMMUNITY)
    s.step("D9", "2026-11-26 09:35", "accept_report", "intake", decision="file", urgency="B")
    s.step("D9", "2026-11-26 09:40", "dispatch", "dispatcher", action="assign", unit=HULI)
    s.report("D6", "2026-11-26 10:00", YINGCUI)
    return s


def play_the_month(city):
    script = november()
    script.play(city)
    city.set_clock(NOW)
    sweep_all(city)
    return script.numbers


@pytest.fixture
@plays(play_the_month)
def played(city):
    return city.played


def viewer(role, unit, username="someone"):
    return SimpleNamespace(role=role, unit_code=unit, username=username)


CITY_SUPERVISOR, SIMING_SUPERVISOR = viewer("supervisor", CENTER), viewer("supervisor", SIMING)


def watch(city, who, unit=None, period="2026-11"):
    def do(session):
        return supervision.dashboard(session, city.runtime, city.directory, get_calendar(city.app),
                                     get_catalogue(city.app), viewer=who, period=period, unit=unit)
    return city.work(do)


def values(figures):
    return {f["key"]: f["value"] for f in figures}


def test_a_district_today_this_month_and_now(city, played):
    board = watch(city, SIMING_SUPERVISOR)
    assert board["unit"]["code"] == SIMING and board["period"]["label"] == "2026-11"
    today, month, now = board["today"], board["month"], board["current"]
    # today: D3 (hotline) and D6 (grid) reported, D3 filed, nothing closed; the evaluation of the day:
    # nothing handled, D2 and D10 overdue open -> 0 of 2 on time
    assert (today["date"], today["reported"]["value"], today["filed"]["value"], today["closed"]["value"]) == (
        "2026-11-26", 2, 1, 0)
    assert {k: v for k, v in values(today["channels"]).items() if v} == {"grid": 1, "hotline12345": 1}
    rate = today["on_time_rate"]
    assert (rate["value"], rate["on_time"], rate["due"]) == (0.0, 0, 2)
    # the month: reported D1 D11 D7 D8 D2 D5 D4 D3 D6 (D10 in October), filed all but D7 and D6,
    # closed D1 D11 D8; handled D1 D8 on time, D11 late, D2 and D10 overdue open: 2 of 5 on time
    assert (month["reported"]["value"], month["filed"]["value"], month["closed"]["value"]) == (9, 7, 3)
    assert {k: v for k, v in values(month["channels"]).items() if v} == {"grid": 7, "wechat": 1, "hotline12345": 1}
    rate = month["on_time_rate"]
    assert (rate["value"], rate["on_time"], rate["due"]) == (0.4, 2, 5)
    assert {f["key"]: (f["label"], f["value"]) for f in month["categories"]} == {
        "2001": ("事件 · 市容环境", 7), "2005": ("事件 · 街面秩序", 1), "1001": ("部件 · 公用设施", 1)}
    daily = {d["date"]: (d["reported"]["value"], d["closed"]["value"]) for d in month["daily"]}
    assert len(daily) == 26 and list(daily)[-1] == "2026-11-26"           # up to today
    assert {d: v for d, v in daily.items() if v != (0, 0)} == {
        "2026-11-02": (1, 0), "2026-11-03": (0, 1), "2026-11-09": (1, 0), "2026-11-11": (0, 1), "2026-11-16": (1, 0),
        "2026-11-17": (1, 0), "2026-11-20": (0, 1), "2026-11-24": (1, 0), "2026-11-25": (2, 0), "2026-11-26": (2, 0)}
    # now: open D10 D2 D5 D4 D3 D6; due today D5 (10:00, passed) and D4 (16:00); overdue D10 D2 D5
    assert now["open"]["value"] == 6
    assert {k: v for k, v in values(now["statuses"]).items() if v} == {"accepting": 1, "dispatching": 2, "handling": 3}
    assert (now["due_today"]["value"], now["overdue"]["value"]) == (2, 3)
    assert values(now["lights"]) == {"green": 1, "yellow": 1, "red": 3}
    ages = {a["key"]: {k: v for k, v in values(a["figures"]).items() if v} for a in now["ages"]}
    assert ages == {"today": {"B": 1, "none": 1}, "1-2": {"A": 3}, "3-6": {}, "7-29": {}, "30+": {"C": 1}}


def test_the_ranking_below_and_the_units_own_standing(city, played):
    board = watch(city, SIMING_SUPERVISOR)
    ranking = board["ranking"]
    assert ranking["levels"] == ["street"] and ranking["level_names"] == ["街道（镇）级"]
    rows = {r["unit"]: r for r in ranking["rows"]}
    assert list(rows) == [YUNDANG, JIALIAN]            # in the evaluation's order: by rank
    # 筼筜: D8 on time (1 of 1); 嘉莲: D1 on time, D11 late, D2 and D10 overdue open: 1 of 4
    assert (rows[YUNDANG]["handling"]["on_time_rate"], rows[YUNDANG]["handling"]["composite"],
            rows[YUNDANG]["rank_text"]) == (1.0, 100.0, "1 / 2")
    assert (rows[JIALIAN]["handling"]["on_time_rate"], rows[JIALIAN]["handling"]["due"],
            rows[JIALIAN]["handling"]["composite"], rows[JIALIAN]["handling"]["grade"],
            rows[JIALIAN]["rank_text"]) == (0.25, 4, 45.0, "差", "2 / 2")
    assert rows[JIALIAN]["cases_query"] == {"area": JIALIAN}
    # 思明区 among the districts: 100 x (0.6 x 2/5 + 0.2 x 3/5 + 0.2) = 56, the only one rated
    standing = board["standing"]
    assert (standing["unit"], standing["handling"]["composite"], standing["rank_text"]) == (SIMING, 56.0, "1 / 1")
    # a street's communities: 盈翠 100 x (0.6 / 3 + 0.2 x 2/3 + 0.2) = 53.33, 莲秀 100 x 0.2 = 20, 华林 unrated
    street = {r["unit"]: r["rank_text"] for r in watch(city, SIMING_SUPERVISOR, unit=JIALIAN)["ranking"]["rows"]}
    assert street == {YINGCUI: "1 / 2", LIANXIU: "2 / 2", HUALIN: "— / 2"}


def test_the_city(city, played):
    board = watch(city, CITY_SUPERVISOR)
    assert board["unit"]["code"] == CENTER and board["standing"] is None
    # 思明 and D9 today; 思明's month and D12, D9; handled D1 D8 D12 (late) D11 (late), overdue D2 D10
    assert (board["today"]["reported"]["value"], board["month"]["reported"]["value"],
            board["month"]["filed"]["value"], board["month"]["closed"]["value"]) == (3, 11, 9, 4)
    rate = board["month"]["on_time_rate"]
    assert (rate["value"], rate["on_time"], rate["due"]) == (0.3333, 2, 6)
    assert rate["query"] == {"period": "2026-11", "level": "district", "unit": CENTER}
    now = board["current"]
    assert (now["open"]["value"], now["due_today"]["value"], now["overdue"]["value"]) == (7, 2, 3)
    assert values(now["lights"]) == {"green": 2, "yellow": 1, "red": 3}
    ranking = board["ranking"]
    assert ranking["levels"] == ["district", "department"]
    rows = {r["unit"]: r for r in ranking["rows"]}
    assert len(rows) == 10 and rows[SIMING]["rank_text"] == "1 / 1" and rows[HULI]["rank_text"] == "— / 1"
    # 市政园林局: D12 late, 100 x (0 + 0.2 + 0.2) = 40
    assert (rows[FACILITIES]["handling"]["composite"], rows[FACILITIES]["rank_text"]) == (40.0, "1 / 1")
    assert rows[FACILITIES]["cases_query"] == {"unit": FACILITIES}
    assert [c["code"] for c in board["choices"]][:2] == [CENTER, "350200901"]
    assert board["path"] == [{"code": CENTER, "name": "厦门市智慧城市管理监督指挥中心", "kind": "center"}]


def test_a_community_and_a_department(city, played):
    officer = viewer("officer", YINGCUI)
    board = watch(city, officer)
    # 盈翠: reported D1 D11 D7 D3 D6 this month, filed D1 D11 D3, closed D1 D11; open D10 D3 D6
    assert (board["month"]["reported"]["value"], board["month"]["filed"]["value"],
            board["month"]["closed"]["value"]) == (5, 3, 2)
    assert (board["current"]["open"]["value"], board["current"]["overdue"]["value"]) == (3, 1)
    assert board["ranking"]["rows"] == [] and board["standing"]["rank_text"] == "1 / 2"
    assert board["month"]["on_time_rate"]["value"] == 0.3333
    assert board["path"] == [{"code": YINGCUI, "name": "盈翠社区", "kind": "community"}]
    assert [c["code"] for c in board["choices"]] == [YINGCUI]
    # a department has no area: the cases it holds or handled (D12), its on-time rate the evaluation's
    department = watch(city, viewer("officer", FACILITIES))
    assert (department["month"]["reported"]["value"], department["month"]["closed"]["value"]) == (1, 1)
    assert department["month"]["reported"]["query"] == {"unit": FACILITIES, "from": "2026-11-01", "to": "2026-11-30"}
    assert department["month"]["on_time_rate"]["value"] == 0.0
    # a grid worker watches their own grid: counts only (the evaluation rates no grid)
    grid = watch(city, viewer("grid", GRID[YINGCUI]))
    assert (grid["month"]["reported"]["value"], grid["month"]["on_time_rate"]["value"]) == (4, None)


def test_who_may_watch_what(city, played):
    with pytest.raises(NotFound):
        watch(city, SIMING_SUPERVISOR, unit=HULI)               # another district: as if it did not exist
    with pytest.raises(NotFound):
        watch(city, SIMING_SUPERVISOR, unit="999")
    with pytest.raises(NotFound):
        watch(city, viewer("officer", YINGCUI), unit=JIALIAN)   # above one's own unit
    assert watch(city, SIMING_SUPERVISOR, unit=YINGCUI)["unit"]["name"] == "盈翠社区"
    picked = scope.choices(city.directory, SIMING_SUPERVISOR)
    assert picked[0] == {"code": SIMING, "name": "思明区", "kind": "district", "depth": 0}
    assert {c["code"] for c in picked} == {SIMING, JIALIAN, YUNDANG, LIANXIU, HUALIN, YINGCUI, HUBIN, "350203008002"}
    board = watch(city, SIMING_SUPERVISOR)
    everything = str(board)
    assert HULI not in everything and "湖里" not in everything and FACILITIES not in everything
    for period, field in (("2026-13", "period"), ("2026", "period"), ("2026-Q4", "period")):
        with pytest.raises(Invalid) as refused:
            watch(city, SIMING_SUPERVISOR, period=period)
        assert refused.value.field == field, period
    assert watch(city, SIMING_SUPERVISOR, period="2026-10")["month"]["reported"]["value"] == 1       # D10
