"""A scripted November 2026 of twenty cases with known outcomes, played in time order through the
real services on SQLite and PostgreSQL (timers swept at every step, as the scheduler would), then
evaluated: every figure of the affected units, posts and grid workers, their ranks and composites
against numbers worked out by hand below; and a penalty the sweep recorded late, counted in the
month it fell due.

Office hours in November: 08:00-12:00 and 14:30-17:30, no holidays. Filed at 09:00 on a Monday,
A (1 working day) is due Tuesday 09:00, B Wednesday 09:00, C Friday 09:00. The weights are the
shipped table's: composite = 100 x (0.6 on-time rate + 0.2 handled rate + 0.2 (1 - rework rate)),
areas 100 x (0.6 on-time close rate + 0.4 close rate); grades 优 >= 90 > 良 >= 80 > 中 >= 60 > 差."""
from datetime import timedelta
from types import SimpleNamespace

import pytest

from handlers.evaluation import periods, report
from handlers.workcalendar.worktime import get_calendar
from tests.conftest import plays
from tests.helpers import at

CENTER, SIMING, JIALIAN, YINGCUI, LIANXIU, HUALIN = ("350200", "350203", "350203011", "350203011003",
                                                     "350203011001", "350203011002")
YUNDANG, HUBIN, HULI, HULI_STREET, HULI_COMMUNITY = "350203008", "350203008001", "350206", "350206001", "350206001001"
TONGAN_COMMUNITY, FACILITIES, SANITATION = "350212001001", "350200901", "350200902"
GRID = {YINGCUI: "35020301100301", LIANXIU: "35020301100101", HUALIN: "35020301100201", HUBIN: "35020300800101",
        HULI_COMMUNITY: "35020600100101", TONGAN_COMMUNITY: "35021200100101"}
REVIEWERS = {YINGCUI: [JIALIAN, SIMING, CENTER], LIANXIU: [JIALIAN, SIMING, CENTER], HUBIN: [YUNDANG, SIMING, CENTER],
             JIALIAN: [SIMING, CENTER], HULI_COMMUNITY: [HULI_STREET, HULI, CENTER], FACILITIES: [CENTER],
             SANITATION: [CENTER]}
DOWN = {YINGCUI: [SIMING, JIALIAN, YINGCUI], LIANXIU: [SIMING, JIALIAN, LIANXIU], HUBIN: [SIMING, YUNDANG, HUBIN],
        JIALIAN: [SIMING, JIALIAN], HULI_COMMUNITY: [HULI, HULI_STREET, HULI_COMMUNITY], FACILITIES: [FACILITIES],
        SANITATION: [SANITATION]}


def user_of(unit):
    return "dispatcher" if unit == CENTER else f"officer-{unit}"


class Script:
    """The month as a list of (instant, action) played in time order."""

    def __init__(self):
        self.actions, self.numbers, self.order = [], {}, 0

    def add(self, when, action):
        self.order += 1
        self.actions.append((at(when), self.order, action))

    def report(self, key, when, place, *, channel="grid", **fields):
        if channel == "grid":
            fields.update(grid=GRID[place])
            username = f"grid-{GRID[place]}"
        else:
            fields.update(community=place, grid=None, external_ref=f"ref-{key}")
            username = "intake"
        self.add(when, lambda city: self.numbers.__setitem__(key, city.report(username=username, channel=channel,
                                                                             **fields)))

    def step(self, key, when, step, username, **form):
        self.add(when, lambda city: city.complete(self.numbers[key], step, username, **form))

    def handled(self, key, *, report_at, place, urgency, handler, handle_at, check_at, close_at, channel="grid",
                reviews_before_check=10):
        """A case down to its handler and back (`taken`), done at `handle_at`, reviewed a minute a level
        up, checked at `check_at`, closed."""
        self.taken(key, report_at=report_at, place=place, urgency=urgency, handler=handler, channel=channel)
        self.finish(key, place, handler, handle_at=handle_at, check_at=check_at, close_at=close_at,
                    reviews_before_check=reviews_before_check)

    def taken(self, key, *, report_at, place, urgency, handler, channel="grid"):
        """A case down to its handler: reported 5 min before it is filed, dispatched a minute a level,
        taken to handle a minute later."""
        filed = at(report_at) + timedelta(minutes=5)
        self.report(key, report_at, place, channel=channel)
        self.step(key, iso(filed), "accept_report", "intake", decision="file", urgency=urgency)
        when = filed
        for holder, unit in zip([CENTER, *DOWN[handler]], DOWN[handler]):
            when += timedelta(minutes=1)
            self.step(key, iso(when), "dispatch", user_of(holder), action="assign", unit=unit)
        self.step(key, iso(when + timedelta(minutes=1)), "dispatch", user_of(handler), action="handle")

    def finish(self, key, place, handler, *, handle_at, check_at, close_at, reviews_before_check=10):
        self.step(key, handle_at, "handle", user_of(handler), action="done", result="已处置")
        when = at(check_at) - timedelta(minutes=reviews_before_check)
        for reviewer in REVIEWERS[handler]:
            self.step(key, iso(when), "review", user_of(reviewer), approved=True)
            when += timedelta(minutes=1)
        self.step(key, check_at, "check_result", f"grid-{GRID[place]}", passed=True)
        if close_at:
            self.step(key, close_at, "close_case", "shiftlead")

    def play_until(self, city, until=None):
        """Play the actions before `until` (all of them when None), in time order, sweeping at each."""
        pending = sorted(self.actions, key=lambda a: (a[0], a[1]))
        self.actions = [a for a in pending if until is not None and a[0] >= until]
        for instant, _, action in pending:
            if until is not None and instant >= until:
                break
            city.set_clock(instant)
            sweep_all(city)
            action(city)

    def play(self, city):
        self.play_until(city)

    def resumed(self, numbers, until):
        """The script as `play_until(until)` leaves it, on a city where that was played already
        (`numbers`: the case numbers its reports were given)."""
        self.numbers = dict(numbers)
        self.actions = [a for a in self.actions if a[0] >= until]
        return self


def iso(instant):
    return instant.strftime("%Y-%m-%d %H:%M")


def sweep_all(city):
    """Sweep until nothing more is due (a cycle fires one occurrence a sweep)."""
    while city.sweep().fired:
        pass


def month():
    s = Script()
    # C16: reported and filed in October, handled in November on time (C due Tue 11-03 09:00); its
    # check task opened Fri 10-30 10:12 and was done Mon 11-02 10:00, 6 h 48 of office time later: a late check.
    s.taken("C16", report_at="2026-10-28 08:55", place=YINGCUI, urgency="C", handler=YINGCUI)
    s.step("C16", "2026-10-30 10:00", "handle", user_of(YINGCUI), action="done", result="已处置")
    for n, reviewer in enumerate(REVIEWERS[YINGCUI]):
        s.step("C16", f"2026-10-30 10:1{n}", "review", user_of(reviewer), approved=True)
    s.step("C16", "2026-11-02 10:00", "check_result", f"grid-{GRID[YINGCUI]}", passed=True)
    s.step("C16", "2026-11-02 11:00", "close_case", "shiftlead")
    # C1: on time (C due Fri 11-06 09:00).
    s.handled("C1", report_at="2026-11-02 08:55", place=YINGCUI, urgency="C", handler=YINGCUI,
              handle_at="2026-11-03 10:00", check_at="2026-11-03 15:00", close_at="2026-11-03 16:00")
    # C2: A due Tue 11-03 09:01, handled Wed 08:30: late, one penalty (1.0).
    s.handled("C2", report_at="2026-11-02 08:56", place=YINGCUI, urgency="A", handler=YINGCUI,
              handle_at="2026-11-04 08:00", check_at="2026-11-04 08:30", close_at="2026-11-04 11:00")
    # C3: A due Tue 11-03 09:02, handled Fri 10:00: late by three working days (1.0 + 3 x 0.5).
    s.handled("C3", report_at="2026-11-02 08:57", place=LIANXIU, urgency="A", handler=LIANXIU,
              handle_at="2026-11-06 09:30", check_at="2026-11-06 10:00", close_at="2026-11-06 11:00")
    s.step("C3", "2026-11-03 10:00", "supervise", "shiftlead", comment="请尽快处置")
    # C4: C due Fri 11-13 09:00; the first check fails (rework, 0.5 on 盈翠), the second passes on time.
    s.taken("C4", report_at="2026-11-09 08:55", place=YINGCUI, urgency="C", handler=YINGCUI)
    s.step("C4", "2026-11-10 10:00", "handle", user_of(YINGCUI), action="done", result="已疏通")
    for n, reviewer in enumerate(REVIEWERS[YINGCUI]):
        s.step("C4", f"2026-11-10 14:5{n}", "review", user_of(reviewer), approved=True)
    s.step("C4", "2026-11-10 15:00", "check_result", f"grid-{GRID[YINGCUI]}", passed=False, note="污水仍在")
    s.finish("C4", YINGCUI, YINGCUI, handle_at="2026-11-11 09:00", check_at="2026-11-11 16:00",
             close_at="2026-11-12 09:00")
    # C5: first sent to 湖里区, which returns it; then down to 湖滨, on time.
    s.report("C5", "2026-11-09 08:56", HUBIN)
    s.step("C5", "2026-11-09 09:01", "accept_report", "intake", decision="file", urgency="C")
    s.step("C5", "2026-11-09 09:10", "dispatch", "dispatcher", action="assign", unit=HULI)
    s.step("C5", "2026-11-09 09:30", "dispatch", f"officer-{HULI}", action="return", reason="不属于湖里区")
    for n, (holder, unit) in enumerate(zip([CENTER, SIMING, YUNDANG], [SIMING, YUNDANG, HUBIN])):
        s.step("C5", f"2026-11-09 09:4{n}", "dispatch", user_of(holder), action="assign", unit=unit)
    s.step("C5", "2026-11-09 09:45", "dispatch", user_of(HUBIN), action="handle")
    s.finish("C5", HUBIN, HUBIN, handle_at="2026-11-10 10:00", check_at="2026-11-10 16:00", close_at="2026-11-10 17:00")
    # C6: A due Tue 11-10 09:02, extended by 2 working days (to Thu 11-12 09:02), handled Wed: on time.
    s.report("C6", "2026-11-09 08:57", YINGCUI)
    s.step("C6", "2026-11-09 09:02", "accept_report", "intake", decision="file", urgency="A")
    for n, (holder, unit) in enumerate(zip([CENTER, *DOWN[YINGCUI]], DOWN[YINGCUI])):
        s.step("C6", f"2026-11-09 09:1{n}", "dispatch", user_of(holder), action="assign", unit=unit)
    s.step("C6", "2026-11-09 09:15", "dispatch", user_of(YINGCUI), action="handle")
    s.step("C6", "2026-11-09 10:00", "handle", user_of(YINGCUI), action="extend", working_days=2, reason="需协调物业")
    s.step("C6", "2026-11-09 11:00", "approve_extension", "shiftlead", approved=True)
    s.finish("C6", YINGCUI, YINGCUI, handle_at="2026-11-11 10:00", check_at="2026-11-11 15:00",
             close_at="2026-11-11 16:00")
    # C7 voided, C8 merged into C4, C9 fixed on the spot (all reported by 盈翠's grid worker).
    s.report("C7", "2026-11-10 09:00", YINGCUI)
    s.step("C7", "2026-11-10 09:10", "accept_report", "intake", decision="void", reason="重复上报")
    s.report("C8", "2026-11-10 09:30", YINGCUI)
    s.add("2026-11-10 09:40", lambda city: city.complete(s.numbers["C8"], "accept_report", "intake",
                                                         decision="merge", duplicate_of=s.numbers["C4"]))
    s.report("C9", "2026-11-10 10:00", YINGCUI, fixed_on_spot=True)
    # C12, C13 (市政园林局) and C18, C19 (环卫中心): one on time and one late each (a tie), all in 同安.
    for key, minute, unit, urgency, handle, check in (
            ("C12", 51, FACILITIES, "B", "10:00", "15:00"), ("C13", 52, FACILITIES, "A", "09:30", "10:00"),
            ("C18", 53, SANITATION, "B", "10:00", "15:10"), ("C19", 54, SANITATION, "A", "09:30", "10:10")):
        s.handled(key, report_at=f"2026-11-16 08:{minute}", place=TONGAN_COMMUNITY, urgency=urgency, handler=unit,
                  channel="hotline12345", handle_at=f"2026-11-17 {handle}", check_at=f"2026-11-17 {check}",
                  close_at=f"2026-11-17 16:{minute}")
    # C14: 湖里社区, on time. C15: handled by 嘉莲街道 itself (located in 莲秀), on time.
    s.handled("C14", report_at="2026-11-16 08:55", place=HULI_COMMUNITY, urgency="C", handler=HULI_COMMUNITY,
              handle_at="2026-11-18 10:00", check_at="2026-11-18 15:00", close_at="2026-11-18 16:00")
    s.handled("C15", report_at="2026-11-16 08:56", place=LIANXIU, urgency="B", handler=JIALIAN,
              handle_at="2026-11-17 10:00", check_at="2026-11-17 15:20", close_at="2026-11-17 16:20")
    # C17: located in 华林, which returns it as not its own; 嘉莲 gives it to 盈翠, on time.
    s.report("C17", "2026-11-18 08:55", HUALIN)
    s.step("C17", "2026-11-18 09:00", "accept_report", "intake", decision="file", urgency="C")
    for n, (holder, unit) in enumerate(zip([CENTER, SIMING, JIALIAN], [SIMING, JIALIAN, HUALIN])):
        s.step("C17", f"2026-11-18 09:0{n + 1}", "dispatch", user_of(holder), action="assign", unit=unit)
    s.step("C17", "2026-11-18 09:05", "dispatch", user_of(HUALIN), action="handle")
    s.step("C17", "2026-11-18 10:00", "handle", user_of(HUALIN), action="return", reason="不属于本社区")
    s.step("C17", "2026-11-18 10:10", "dispatch", user_of(JIALIAN), action="assign", unit=YINGCUI)
    s.step("C17", "2026-11-18 10:20", "dispatch", user_of(YINGCUI), action="handle")
    s.step("C17", "2026-11-19 10:00", "handle", user_of(YINGCUI), action="done", result="已处置")
    for n, reviewer in enumerate(REVIEWERS[YINGCUI]):
        s.step("C17", f"2026-11-19 14:3{n}", "review", user_of(reviewer), approved=True)
    s.step("C17", "2026-11-19 15:00", "check_result", f"grid-{GRID[HUALIN]}", passed=True)
    s.step("C17", "2026-11-19 16:00", "close_case", "shiftlead")
    # C10: A due Thu 11-26 09:00 at 莲秀, never handled: open and overdue at the month's end
    # (1.0, then 0.5 on Fri 11-27 and on Mon 11-30 in November; 0.5 on 12-01 and 12-02 in December).
    s.report("C10", "2026-11-25 08:55", LIANXIU)
    s.step("C10", "2026-11-25 09:00", "accept_report", "intake", decision="file", urgency="A")
    for n, (holder, unit) in enumerate(zip([CENTER, *DOWN[LIANXIU]], DOWN[LIANXIU])):
        s.step("C10", f"2026-11-25 09:0{n + 1}", "dispatch", user_of(holder), action="assign", unit=unit)
    s.step("C10", "2026-11-25 09:05", "dispatch", user_of(LIANXIU), action="handle")
    # ... and pressed by the city's supervisor at 14:30, answered Thu 09:00: 4 working hours, in time
    # (the limit is 7). C3's 督办 (Tue 11-03 10:00) was never answered: past the limit Wed 10:00.
    s.add("2026-11-25 14:30", lambda city: city.supervise(s.numbers["C10"], "supervisor-committee"))
    s.step("C10", "2026-11-26 09:00", "supervise_reply", user_of(LIANXIU), plan="今日上门清理",
           promised_by="2026-11-27")
    # C11: C filed Fri 11-27 09:00 (due Thu 12-03 09:00) at 湖滨, handled on time in December.
    s.handled("C11", report_at="2026-11-27 08:55", place=HUBIN, urgency="C", handler=HUBIN,
              handle_at="2026-12-02 10:00", check_at="2026-12-02 15:00", close_at="2026-12-02 16:00")
    # ... pressed by 思明区's supervisor Fri 10:00, answered Mon 11-30 16:00: 5 + 6 working hours, late.
    s.add("2026-11-27 10:00", lambda city: city.supervise(s.numbers["C11"], "supervisor-350203"))
    s.step("C11", "2026-11-30 16:00", "supervise_reply", user_of(HUBIN), plan="周二前清理完毕",
           promised_by="2026-12-01")
    return s


def evaluate(city, level, period="2026-11", unit=None, viewer=None):
    viewer = viewer or SimpleNamespace(role="auditor", unit_code=CENTER, username="auditor")
    def do(session):
        return report.evaluate(session, city.runtime, city.directory, get_calendar(city.app), viewer=viewer,
                               period=period, level=level, unit=unit)
    return city.work(do)


def by_unit(document):
    return {row["unit"]: row for row in document["rows"]}


def by_user(document):
    return {row["user"]: row["figures"] for row in document["rows"]}


DECEMBER = at("2026-12-01 00:00")


def play_november(city):
    """The month played up to Mon 11-30 23:59 (swept); returns the case numbers."""
    script = month()
    script.play_until(city, DECEMBER)
    city.set_clock("2026-11-30 23:59")
    sweep_all(city)
    return script.numbers


@pytest.fixture
@plays(play_november)
def november(city):
    """The month played up to Mon 11-30 23:59 (swept), and the script to play the rest."""
    return month().resumed(city.played, DECEMBER)


def test_handling_units_of_simings_communities(city, november):
    rows = by_unit(evaluate(city, "community", unit=JIALIAN))
    assert set(rows) == {YINGCUI, LIANXIU, HUALIN}
    yingcui = rows[YINGCUI]["handling"]
    assert yingcui == dict(due=6, handled=6, on_time=5, late=1, overdue_open=0, rework=1, returned=0,
                           extension_requests=1, extensions_approved=1, suspension_requests=0,
                           suspensions_approved=0, suspended_hours=0.0, supervised=0, replies=0, replies_on_time=0,
                           replies_due=0, reply_rate=None, follow_ups=0, satisfied=0, basically_satisfied=0,
                           dissatisfied=0, satisfaction_rate=None, on_time_rate=0.8333, handled_rate=1.0,
                           rework_rate=0.1429, points=1.5, score=98.5, composite=87.14, grade="良")
    assert rows[LIANXIU]["handling"] == dict(due=2, handled=1, on_time=0, late=1, overdue_open=1, rework=0,
                                             returned=0, extension_requests=0, extensions_approved=0, suspension_requests=0, suspensions_approved=0, suspended_hours=0.0,
                                             supervised=2, replies=1, replies_on_time=1, replies_due=2,
                                             reply_rate=0.5, follow_ups=0, satisfied=0, basically_satisfied=0,
                                             dissatisfied=0, satisfaction_rate=None, on_time_rate=0.0, handled_rate=0.5, rework_rate=0.0, points=4.5,
                                             score=95.5, composite=30.0, grade="差")
    hualin = rows[HUALIN]["handling"]
    assert (hualin["due"], hualin["returned"], hualin["composite"], hualin["grade"], hualin["score"]) ==         (0, 1, None, None, 100.0)
    assert [(u, rows[u]["rank_text"]) for u in (YINGCUI, LIANXIU, HUALIN)] == [
        (YINGCUI, "1 / 2"), (LIANXIU, "2 / 2"), (HUALIN, "— / 2")]


def test_streets_and_districts_answer_for_their_subtree(city, november):
    streets = by_unit(evaluate(city, "street", unit=SIMING))
    assert streets[JIALIAN]["handling"] == dict(
        due=9, handled=8, on_time=6, late=2, overdue_open=1, rework=1, returned=1, extension_requests=1,
        extensions_approved=1, suspension_requests=0, suspensions_approved=0, suspended_hours=0.0, supervised=2,
        replies=1, replies_on_time=1, replies_due=2, reply_rate=0.5, follow_ups=0, satisfied=0, basically_satisfied=0,
        dissatisfied=0, satisfaction_rate=None,
        on_time_rate=0.6667, handled_rate=0.8889, rework_rate=0.1111, points=6.0,
        score=94.0, composite=75.56, grade="中")
    assert (streets[YUNDANG]["handling"]["composite"], streets[YUNDANG]["rank_text"],
            streets[JIALIAN]["rank_text"]) == (100.0, "1 / 2", "2 / 2")
    yundang = streets[YUNDANG]["handling"]
    assert [yundang[k] for k in ("supervised", "replies", "replies_on_time", "replies_due", "reply_rate")] == \
        [1, 1, 0, 1, 0.0]
    districts = by_unit(evaluate(city, "district"))
    assert len(districts) == 6
    siming = districts[SIMING]["handling"]
    assert (siming["due"], siming["handled"], siming["on_time"], siming["overdue_open"], siming["rework"],
            siming["points"], siming["score"], siming["on_time_rate"], siming["handled_rate"], siming["rework_rate"],
            siming["composite"], siming["grade"]) == (10, 9, 7, 1, 1, 6.0, 94.0, 0.7, 0.9, 0.1, 78.0, "中")
    assert [siming[k] for k in ("supervised", "replies", "replies_on_time", "replies_due", "reply_rate")] == \
        [3, 2, 1, 3, 0.3333]
    huli = districts[HULI]["handling"]
    assert (huli["due"], huli["handled"], huli["returned"], huli["composite"], huli["grade"]) == (1, 1, 1, 100.0, "优")
    assert {u: r["rank_text"] for u, r in districts.items()} == {
        HULI: "1 / 2", SIMING: "2 / 2", "350205": "— / 2", "350211": "— / 2", "350212": "— / 2", "350213": "— / 2"}


def test_departments_tie(city, november):
    rows = by_unit(evaluate(city, "department"))
    for unit in (FACILITIES, SANITATION):
        figures = rows[unit]["handling"]
        assert (figures["due"], figures["on_time"], figures["late"], figures["points"], figures["score"],
                figures["composite"], figures["grade"], rows[unit]["rank_text"]) == (
            2, 1, 1, 1.0, 99.0, 70.0, "中", "1 / 2")


def test_areas_by_where_the_cases_are(city, november):
    siming = by_unit(evaluate(city, "district"))[SIMING]["area"]
    assert siming == dict(reported=13, filed=10, closed=9, on_time_closed=7, overdue_open=1, due_close=10,
                          close_rate=0.9, on_time_close_rate=0.7, on_spot=1, voided=1, merged=1, composite=78.0,
                          grade="中")
    jialian = by_unit(evaluate(city, "street", unit=SIMING))[JIALIAN]["area"]
    assert (jialian["reported"], jialian["filed"], jialian["closed"], jialian["on_time_closed"],
            jialian["overdue_open"], jialian["due_close"], jialian["composite"]) == (11, 8, 8, 6, 1, 9, 75.56)


def test_command_center_posts(city, november):
    jobs = by_user(evaluate(city, "job"))
    assert (jobs["intake"]["accepted"], jobs["intake"]["filed"], jobs["intake"]["voided"], jobs["intake"]["merged"],
            jobs["intake"]["verify_sent"], jobs["intake"]["average_accept_hours"]) == (17, 15, 1, 1, 0, 0.09)
    assert (jobs["dispatcher"]["dispatched"], jobs["dispatcher"]["dispatch_returned"],
            jobs["dispatcher"]["accurate_dispatch_rate"]) == (16, 1, 0.9375)
    shiftlead = jobs["shiftlead"]
    assert (shiftlead["extensions_decided"], shiftlead["extensions_approved"], shiftlead["extensions_refused"],
            shiftlead["supervised"], shiftlead["closed"]) == (1, 1, 0, 1, 14)


def test_grid_workers(city, november):
    grid = by_user(evaluate(city, "grid", unit=JIALIAN))
    assert grid[f"grid-{GRID[YINGCUI]}"] == dict(
        reported=7, valid=5, valid_rate=0.7143, on_spot=1, checks=6, checks_on_time=5, on_time_check_rate=0.8333,
        verifications=0, verifications_on_time=0, on_time_verify_rate=None)
    lianxiu = grid[f"grid-{GRID[LIANXIU]}"]
    assert (lianxiu["reported"], lianxiu["valid"], lianxiu["checks"], lianxiu["checks_on_time"]) == (3, 3, 2, 2)


def test_a_case_crossing_into_december_counts_where_its_outcome_falls(city, november):
    november.play(city)                                   # the rest: C11 handled on Wed 12-02
    city.set_clock("2026-12-02 17:00")
    sweep_all(city)
    rows = by_unit(evaluate(city, "community", period="2026-12", unit=SIMING))
    hubin, lianxiu = rows[HUBIN]["handling"], rows[LIANXIU]["handling"]
    assert (hubin["due"], hubin["handled"], hubin["on_time"], hubin["composite"]) == (1, 1, 1, 100.0)
    assert (lianxiu["due"], lianxiu["overdue_open"], lianxiu["points"], lianxiu["score"]) == (1, 1, 1.0, 99.0)
    november_hubin = by_unit(evaluate(city, "community", period="2026-11", unit=SIMING))[HUBIN]["handling"]
    assert (november_hubin["due"], november_hubin["handled"]) == (1, 1)          # C5 only
    assert evaluate(city, "community", period="2026-Q4", unit=YUNDANG)["rows"][0]["handling"]["handled"] == 2


def test_a_penalty_counts_in_the_month_it_fell_due_not_when_the_sweep_recorded_it(city):
    s = Script()
    # A at 莲秀, filed Wed 11-25 09:00: due Thu 11-26 09:00, further days Fri 11-27, Mon 11-30, Tue 12-01.
    s.taken("P1", report_at="2026-11-25 08:55", place=LIANXIU, urgency="A", handler=LIANXIU)
    s.play(city)
    city.set_clock("2026-12-01 08:30")      # the scheduler was down: nothing swept since the filing
    sweep_all(city)
    recorded = city.show(s.numbers["P1"])["penalties"]
    assert [(p["reason"], p["points"]) for p in recorded] == [("overdue", 1.0), ("overdue_day", 0.5),
                                                               ("overdue_day", 0.5)]
    assert {p["at"][:10] for p in recorded} == {"2026-12-01"}           # all recorded on 1 December
    november = by_unit(evaluate(city, "community", unit=JIALIAN))[LIANXIU]["handling"]
    december = by_unit(evaluate(city, "community", period="2026-12", unit=JIALIAN))[LIANXIU]["handling"]
    assert (november["points"], november["overdue_open"], december["points"]) == (2.0, 1, 0.0)
    city.set_clock("2026-12-01 09:00")      # December's first further day
    sweep_all(city)
    assert by_unit(evaluate(city, "community", period="2026-12", unit=JIALIAN))[LIANXIU]["handling"]["points"] == 0.5


def test_the_city_totals_are_its_districts_and_departments(city, november):
    """The center's figures (the dashboard's city) are counted like a unit's, never ranked: here,
    where the center handled nothing itself, the sums of the districts' and departments'."""
    def compute(session):
        return report.compute(session, city.runtime, city.directory, get_calendar(city.app),
                              periods.parse("2026-11", today=at("2026-11-30 12:00").date()))
    evaluation = city.work(compute)
    below = [*city.directory.of_kind("district"), *city.directory.of_kind("department")]
    for key in ("due", "handled", "on_time", "late", "overdue_open", "rework", "returned", "points"):
        assert evaluation.handling[CENTER][key] == sum(evaluation.handling[u][key] for u in below), key
    # 思明 10 due (7 on time), 湖里 1 (1), the two departments 2 each (1 each)
    assert (evaluation.handling[CENTER]["due"], evaluation.handling[CENTER]["on_time"]) == (15, 10)
    assert evaluation.handling[CENTER]["on_time_rate"] == 0.6667
    for key in ("reported", "filed", "closed", "on_time_closed", "overdue_open", "on_spot", "voided", "merged"):
        assert evaluation.area[CENTER][key] == sum(evaluation.area[u][key] for u in city.directory.of_kind("district"))
    # reported: 思明 13, 湖里 1 (C14), 同安 4 (C12, C13, C18, C19); closed: 9, 1, 4
    assert (evaluation.area[CENTER]["reported"], evaluation.area[CENTER]["closed"]) == (18, 14)
    assert CENTER not in evaluation.ranks
    assert CENTER not in by_unit(evaluate(city, "district"))
    # the units and areas alone (what the dashboard reads): the same figures, no posts and people counted
    units_only = city.work(lambda session: report.compute(
        session, city.runtime, city.directory, get_calendar(city.app),
        periods.parse("2026-11", today=at("2026-11-30 12:00").date()), subjects=("handling", "area")))
    assert (units_only.handling, units_only.area, units_only.ranks) == (evaluation.handling, evaluation.area,
                                                                       evaluation.ranks)
    assert units_only.jobs == {} and units_only.grid == {} and evaluation.jobs["intake"]["accepted"] == 17


def test_the_terminal_table_has_the_handling_and_the_area_sheets(city, november):
    from handlers.evaluation import export
    table = export.to_table(evaluate(city, "street", unit=SIMING))
    assert "【处置考评】" in table and "【区域评价】" in table
    handling = table.splitlines()[2]
    assert handling.split()[:4] == ["排名", "单位", "代码", "上级单位"] and "按期处置率" in handling
    assert any(line.startswith("1 / 2") and "筼筜街道" in line for line in table.splitlines())
