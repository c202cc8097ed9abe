"""满意率 in the evaluation, worked by hand: the 回访 of hotline cases counted for the unit that
handled each case (a street for its communities), in the period the 回访 was recorded, on SQLite
and PostgreSQL.

November 2026: five 12345/110 calls in 嘉莲街道, all closed on 11-03. 盈翠社区 handled three —
满意, 基本满意, 不满意 recorded in November —, 莲秀社区 two: one 不满意 in November, one 满意 only on
12-01. So November: 盈翠 3 回访, 1/1/1, 满意率 2/3 = 0.6667; 莲秀 1, 0/0/1, 0.0; 嘉莲街道 4, 1/1/2,
0.5; 华林社区 handled none: 0 and no rate. December: 莲秀 1 满意, 1.0."""
import pytest

from handlers.cases import service as cases
from handlers.followups import service as followups
from tests.handlers.evaluation.test_month import (CENTER, HUALIN, JIALIAN, LIANXIU, SIMING, YINGCUI, by_unit,
                                                  evaluate)

GRID_USER = {YINGCUI: "grid-35020301100301", LIANXIU: "grid-35020301100101"}
GRID = {YINGCUI: "35020301100301", LIANXIU: "35020301100101"}


def closed_call(city, community, channel):
    case_no = city.report(username="intake", channel=channel, grid=GRID[community], description="市民来电")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="C")
    city.dispatch_down(case_no, SIMING, JIALIAN, community)
    city.complete(case_no, "handle", f"officer-{community}", action="done", result="已处置")
    city.review_up(case_no, JIALIAN, SIMING, CENTER)
    city.complete(case_no, "check_result", GRID_USER[community], passed=True)
    city.complete(case_no, "close_case", "shiftlead")
    return case_no


def follow_up(city, case_no, rating):
    def do(session):
        return followups.record(session, user=city.user(session, "intake"), case=cases.get_by_no(session, case_no),
                                data={"rating": rating}, now=city.runtime.clock.now())
    return city.work(do)


def satisfaction(row):
    h = row["handling"]
    return h["follow_ups"], h["satisfied"], h["basically_satisfied"], h["dissatisfied"], h["satisfaction_rate"]


def test_the_satisfaction_rate_of_the_units_that_handled_the_cases(city):
    city.set_clock("2026-11-02 09:00")
    calls = [closed_call(city, community, channel) for community, channel in (
        (YINGCUI, "hotline12345"), (YINGCUI, "transfer110"), (YINGCUI, "hotline12345"),
        (LIANXIU, "hotline12345"), (LIANXIU, "transfer110"))]
    grid_case = city.report()                        # a grid worker's report takes no 回访
    city.set_clock("2026-11-03 10:00")
    for case_no, rating in zip(calls, ("satisfied", "basically_satisfied", "dissatisfied", "dissatisfied")):
        follow_up(city, case_no, rating)
    with pytest.raises(followups.FollowUpRefused):
        follow_up(city, grid_case, "satisfied")
    city.set_clock("2026-12-01 09:00")
    follow_up(city, calls[4], "satisfied")

    november = by_unit(evaluate(city, "community", unit=JIALIAN))
    assert satisfaction(november[YINGCUI]) == (3, 1, 1, 1, 0.6667)
    assert satisfaction(november[LIANXIU]) == (1, 0, 0, 1, 0.0)
    assert satisfaction(november[HUALIN]) == (0, 0, 0, 0, None)
    assert satisfaction(by_unit(evaluate(city, "street", unit=SIMING))[JIALIAN]) == (4, 1, 1, 2, 0.5)
    assert satisfaction(by_unit(evaluate(city, "community", period="2026-12", unit=JIALIAN))[LIANXIU]) == (
        1, 1, 0, 0, 1.0)
