"""Suspension (挂起) in simulated time, through the services and the real diagram, on SQLite and
PostgreSQL: the clock stops while a case waits on a third party and the deadline moves by exactly
the working time suspended, over the 清明 weekend of 2026 (Sat 04-04 .. Mon 04-06 rest days).

Office hours in April: 08:00-12:00 and 14:30-17:30. A case of urgency B filed Thu 2026-04-02 10:00
is due two working days later: Tue 04-07 10:00 (Fri, then Tue: Monday is 清明)."""
from datetime import timedelta

import pytest
from marshmallow import ValidationError

from handlers.cases import service as cases, supervision, suspension
from handlers.evaluation import report
from handlers.workcalendar.worktime import get_calendar
from tests.handlers.cases.test_lifecycle import JIALIAN, SIMING, YINGCUI, file_case, timers_of, verify_all
from tests.handlers.cases.test_supervision import events_of
from tests.helpers import at
from web import timeline

OFFICER = f"officer-{YINGCUI}"
DUE = "2026-04-07T10:00:00+08:00"


@pytest.fixture
def handling(city):
    """A B case filed Thu 04-02 10:00, handled by 盈翠社区 (the community holds its handle step)."""
    case_no = file_case(city, urgency="B", reported="2026-04-02 09:50", filed="2026-04-02 10:00")
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    assert city.show(case_no)["due_at"] == DUE
    return case_no


def ask(city, case_no, resume_on, when="2026-04-03 09:00"):
    city.set_clock(when)
    city.complete(case_no, "handle", OFFICER, action="suspend", reason="等待自来水公司停水检修", resume_on=resume_on)


def suspend(city, case_no, resume_on="2026-04-08"):
    """Asked Fri 04-03 09:00, approved by the shift lead at 10:00."""
    ask(city, case_no, resume_on)
    assert city.show(case_no)["status"] == "suspension"
    city.set_clock("2026-04-03 10:00")
    city.complete(case_no, "approve_suspension", "shiftlead", approved=True, comment="同意挂起")


def kinds(city, case_no):
    return [p["reason"] for p in city.show(case_no)["penalties"]]


def test_suspended_friday_resumed_tuesday_moves_the_deadline_by_the_working_time_suspended(city, handling):
    suspend(city, handling)
    shown = city.show(handling)
    assert shown["status"] == "suspended"
    assert shown["suspension"] == {"reason": "等待自来水公司停水检修", "resume_on": "2026-04-08",
                                   "suspended_at": "2026-04-03T10:00:00+08:00",
                                   "resume_at": "2026-04-08T00:00:00+08:00"}
    assert [(t["step"], t["unit"]) for t in shown["open_tasks"]] == [("resume_case", YINGCUI)]
    # While suspended every timer waits beyond the expected date (Wed 04-08 00:00).
    assert all(due >= at("2026-04-08 00:00") for name, due in timers_of(city, handling).items()
               if name != "resume_timer"), timers_of(city, handling)

    # The old warning (Fri 16:42) and the old deadline (Tue 10:00) pass: nothing fires.
    for when in ("2026-04-03 17:00", "2026-04-07 10:00", "2026-04-07 10:05"):
        city.set_clock(when)
        city.sweep()
    assert kinds(city, handling) == []
    assert city.show(handling)["status"] == "suspended"

    city.complete(handling, "resume_case", OFFICER, comment="已恢复供水")     # Tue 10:05
    shown = city.show(handling)
    assert shown["status"] == "handling" and shown["suspension"] is None
    # Suspended Fri 10:00-12:00, 14:30-17:30, Tue 08:00-10:05: 7 h 5 min of office time; the
    # deadline moves by exactly that: Tue 10:00 + 7 h 05 = Wed 10:05.
    calendar = get_calendar(city.app)
    suspended = calendar.working_time_between(at("2026-04-03 10:00"), at("2026-04-07 10:05"))
    assert suspended == timedelta(hours=7, minutes=5)
    assert shown["due_at"] == "2026-04-08T10:05:00+08:00"
    assert calendar.working_time_between(at("2026-04-07 10:00"), at("2026-04-08 10:05")) == suspended
    assert timers_of(city, handling)["overdue_timer"] == at("2026-04-08 10:05")

    city.set_clock("2026-04-08 10:04")
    city.sweep()
    assert kinds(city, handling) == []
    city.set_clock("2026-04-08 10:05")                 # the moved deadline: overdue, exactly once
    city.sweep()
    city.sweep()
    assert kinds(city, handling) == ["overdue"]
    with city.app.app_context():
        entries = city.work(lambda s: timeline.entries(s, cases.get_by_no(s, handling)))
    said = {e.title: e.details for e in entries}
    assert said["挂起审批"] == ["是否批准挂起：批准", "意见：同意挂起"]
    assert said["案件挂起（计时暂停）"] == ["预计恢复日期：2026-04-08", "理由：等待自来水公司停水检修"]
    assert said["恢复计时"] == ["挂起 7 小时 5 分钟（工作时间）", "新的截止时间：2026-04-08 10:05"]
    verify_all(city)


def test_the_timer_resumes_at_the_expected_date(city, handling):
    suspend(city, handling, resume_on="2026-04-07")
    city.set_clock("2026-04-06 23:59")
    city.sweep()
    assert city.show(handling)["status"] == "suspended"
    city.set_clock("2026-04-07 00:00")
    city.sweep()
    shown = city.show(handling)
    assert shown["status"] == "handling" and city.task(handling, "handle")["unit"] == YINGCUI
    # Suspended Fri 10:00 to Tue 00:00: 5 office hours; Tue 10:00 + 5 h = Tue 17:30.
    assert shown["due_at"] == "2026-04-07T17:30:00+08:00"
    city.set_clock("2026-04-07 17:30")
    city.sweep()
    assert kinds(city, handling) == ["overdue"]
    verify_all(city)


def test_the_shift_lead_resumes_by_hand(city, handling):
    suspend(city, handling)
    city.set_clock("2026-04-07 09:00")

    def resume(session, username="shiftlead"):
        user = city.user(session, username)
        return suspension.resume(session, city.runtime, user=user, case=cases.get_by_no(session, handling),
                                 data={"comment": "第三方已到位"})
    with pytest.raises(Exception) as refused:
        city.work(lambda s: resume(s, OFFICER))
    assert refused.type.__name__ == "PermissionDenied"
    city.work(resume)
    shown = city.show(handling)
    assert shown["status"] == "handling"
    assert shown["due_at"] == "2026-04-08T09:00:00+08:00"     # 6 office hours suspended
    with pytest.raises(suspension.SuspensionError):
        city.work(resume)
    verify_all(city)


def test_refused_suspension_keeps_the_clock_running(city, handling):
    ask(city, handling, "2026-04-08")
    city.set_clock("2026-04-03 10:00")
    city.complete(handling, "approve_suspension", "shiftlead", approved=False, comment="请先处置")
    shown = city.show(handling)
    assert shown["status"] == "handling" and shown["due_at"] == DUE and shown["suspension"] is None
    city.set_clock("2026-04-07 10:00")
    city.sweep()
    assert kinds(city, handling) == ["overdue"]


def test_the_request_is_checked(city, handling):
    city.set_clock("2026-04-03 09:00")
    for resume_on, field in (("2026-04-03", "resume_on"), ("2026-06-01", "resume_on"), ("明天", "resume_on"),
                             (None, "resume_on")):
        form = dict(action="suspend", reason="等待审批", **({"resume_on": resume_on} if resume_on else {}))
        with pytest.raises(ValidationError) as refused:
            city.complete(handling, "handle", OFFICER, **form)
        assert field in refused.value.messages, refused.value.messages
    with pytest.raises(ValidationError) as refused:
        city.complete(handling, "handle", OFFICER, action="suspend", resume_on="2026-04-08")
    assert "reason" in refused.value.messages
    # Asked in time, but the deadline passed before the shift lead decided: approval is refused.
    ask(city, handling, "2026-04-09")
    city.set_clock("2026-04-07 10:30")
    with pytest.raises(ValidationError) as refused:
        city.complete(handling, "approve_suspension", "shiftlead", approved=True)
    assert "approved" in refused.value.messages
    assert city.show(handling)["status"] == "suspension"
    # Once overdue, no suspension can be asked.
    city.complete(handling, "approve_suspension", "shiftlead", approved=False)
    with pytest.raises(ValidationError) as refused:
        city.complete(handling, "handle", OFFICER, action="suspend", reason="等待", resume_on="2026-04-09")
    assert "action" in refused.value.messages


def test_the_evaluation_counts_suspensions_and_never_the_suspended_time_against_on_time(city, handling):
    suspend(city, handling)
    city.set_clock("2026-04-07 10:05")
    city.complete(handling, "resume_case", OFFICER)
    # Handled Wed 09:00, after the old deadline (Tue 10:00), before the moved one (Wed 10:05).
    city.set_clock("2026-04-08 09:00")
    city.complete(handling, "handle", OFFICER, action="done", result="已修复")
    city.review_up(handling, JIALIAN, SIMING, "350200")
    city.complete(handling, "check_result", "grid-35020301100301", passed=True, note="已修复")

    def evaluate(session):
        return report.evaluate(session, city.runtime, city.directory, get_calendar(city.app),
                               viewer=city.user(session, "auditor"), period="2026-04", level="community")
    rows = {row["unit"]: row for row in city.work(evaluate)["rows"]}
    figures = rows[YINGCUI]["handling"]
    assert figures["suspension_requests"] == 1 and figures["suspensions_approved"] == 1
    assert figures["suspended_hours"] == pytest.approx(7 + 5 / 60, abs=0.01)
    assert figures["handled"] == 1 and figures["on_time"] == 1 and figures["late"] == 0
    verify_all(city)


def test_a_suspended_case_is_not_pressed_with_a_supervision_until_it_is_resumed(city, handling):
    suspend(city, handling)
    before = events_of(city, handling)
    with pytest.raises(supervision.SupervisionError) as refused:
        city.supervise(handling, "shiftlead")
    assert "挂起" in str(refused.value)
    assert events_of(city, handling) == before                  # refused: nothing written
    city.set_clock("2026-04-07 09:00")
    city.work(lambda s: suspension.resume(s, city.runtime, user=city.user(s, "shiftlead"),
                                          case=cases.get_by_no(s, handling), data={}))
    city.supervise(handling, "shiftlead")
    assert ("supervise_reply", YINGCUI) in [(t["step"], t["unit"]) for t in city.show(handling)["open_tasks"]]
