"""督办 as an exchange, on SQLite and PostgreSQL with the real case diagram: started by hand (the
shift lead, a supervisor of the case's district) or by the overdue timer through the shift lead's
step, it reaches the unit holding the case as a step that unit answers; it is on the timeline,
in the steps the evaluation counts, and replay still verifies. Refusals write nothing."""
import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from engine.models import Event
from handlers import errors
from handlers.cases import service as cases
from handlers.evaluation import steps
from tests.handlers.cases.test_lifecycle import JIALIAN, SIMING, YINGCUI, file_case, verify_all

GRID = "35020301100301"


def events_of(city, case_no):
    def count(session):
        case = cases.get_by_no(session, case_no)
        return session.scalar(select(func.count()).select_from(Event).where(Event.instance_id == case.instance_id))
    return city.work(count)


def stored_steps(city, case_no):
    return city.work(lambda s: [(x.step, x.outcome, x.actor, x.target, x.unit_code)
                                for x in steps.stored(s, cases.get_by_no(s, case_no).id)])


def test_by_hand_it_reaches_the_holder_who_answers_and_the_case_still_replays(city):
    case_no = file_case(city)
    city.assign_down(case_no, SIMING, JIALIAN)                  # 嘉莲街道 holds it
    city.set_clock("2026-03-02 17:00")
    assert city.supervise(case_no, "shiftlead", comment="请今日内处置") == JIALIAN
    reply = city.task(case_no, "supervise_reply")
    assert (reply["role"], reply["unit"]) == ("officer", JIALIAN)
    assert city.show(case_no)["status"] == "dispatching"        # beside the main step, never instead of it
    with pytest.raises(ValidationError) as refused:             # the reply's form: plan and a date
        city.complete(case_no, "supervise_reply", f"officer-{JIALIAN}", plan="", promised_by="明天")
    assert set(refused.value.messages) == {"plan", "promised_by"}
    city.set_clock("2026-03-03 09:00")
    city.complete(case_no, "supervise_reply", f"officer-{JIALIAN}", plan="已派人疏通", promised_by="2026-03-03")
    assert [t["step"] for t in city.open_tasks(case_no)] == ["dispatch"]
    assert stored_steps(city, case_no)[-2:] == [
        ("supervise", "by_hand", "shiftlead", JIALIAN, None), ("supervise_reply", "replied", f"officer-{JIALIAN}",
                                                               None, JIALIAN)]
    verify_all(city)                                            # the message is replayed like any input


def test_a_district_supervisor_presses_only_its_own_district(city):
    case_no = file_case(city)
    city.assign_down(case_no, SIMING, JIALIAN)
    before = events_of(city, case_no)
    for username in ("supervisor-350206", f"officer-{SIMING}", "dispatcher", "auditor"):
        with pytest.raises(errors.PermissionDenied):
            city.supervise(case_no, username)
    assert events_of(city, case_no) == before                    # nothing written
    assert city.supervise(case_no, "supervisor-350203") == JIALIAN
    assert city.supervise(case_no, "supervisor-committee") == JIALIAN   # a second 督办, a second reply
    assert [t["step"] for t in city.open_tasks(case_no)].count("supervise_reply") == 2


def test_refused_when_nothing_waits_or_the_comment_is_empty(city):
    city.set_clock("2026-03-02 16:05")
    accepting = city.report()
    with pytest.raises(errors.StateConflict):                   # still at intake: not being handled
        city.supervise(accepting, "shiftlead")
    case_no = file_case(city)
    before = events_of(city, case_no)
    with pytest.raises(ValidationError) as refused:
        city.supervise(case_no, "shiftlead", comment="")
    assert set(refused.value.messages) == {"comment"}
    assert events_of(city, case_no) == before


def test_the_overdue_timer_goes_through_the_shift_lead_then_to_the_holder(city):
    case_no = file_case(city)                                   # A, due Tue 2026-03-03 16:10
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)       # 盈翠社区 handles it
    city.set_clock("2026-03-03 16:10")
    city.sweep()
    assert "supervise_reply" not in [t["step"] for t in city.open_tasks(case_no)]
    city.set_clock("2026-03-03 16:30")
    city.complete(case_no, "supervise", "shiftlead", comment="已超期，请立即处置")
    reply = city.task(case_no, "supervise_reply")
    assert (reply["role"], reply["unit"]) == ("officer", YINGCUI)
    assert stored_steps(city, case_no)[-1] == ("supervise", "supervised", "shiftlead", YINGCUI, "350200")


def test_at_the_check_the_grid_worker_answers(city):
    case_no = file_case(city)
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="已处置")
    city.review_up(case_no, JIALIAN, SIMING, "350200")
    assert city.show(case_no)["status"] == "checking"
    assert city.supervise(case_no, "shiftlead") == GRID
    reply = city.task(case_no, "supervise_reply")
    assert (reply["role"], reply["unit"]) == ("grid", GRID)
    city.complete(case_no, "supervise_reply", f"grid-{GRID}", plan="今日复查", promised_by="2026-03-03")
    city.complete(case_no, "check_result", f"grid-{GRID}", passed=True)
    city.complete(case_no, "close_case", "shiftlead")
    with pytest.raises(errors.StateConflict):                   # closed: nothing waits any more
        city.supervise(case_no, "shiftlead")
    verify_all(city)
