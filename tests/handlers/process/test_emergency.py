"""Scenario tests of the second shipped process, `municipal_emergency` (市政设施紧急处置), in
simulated time through the service layer, on SQLite and PostgreSQL, with the real BPMN and DMN
files: routed there by the routing table when the report is filed, graded A, dispatched by the
center straight to a district or department, due in 2 working hours, escalated to the shift lead
at once when overdue with exactly one penalty."""
from sqlalchemy import select

from engine import events
from engine.models import Event
from handlers.audit import verify as audit
from handlers.cases import service as cases
from tests.helpers import at

CENTER, SIMING, MUNICIPAL = "350200", "350203", "350200901"
GRID = "35020301100301"
GRID_USER = f"grid-{GRID}"
COLLAPSE = {"category": "200401", "description": "嘉莲路人行道路面塌陷，约一米见方", "address": "思明区嘉莲街道嘉莲路"}


def started_event(city, case_no):
    def q(session):
        case = cases.get_by_no(session, case_no)
        return session.scalar(select(Event).where(Event.stream == events.instance_stream(case.instance_id),
                                                  Event.kind == "started"))
    return city.work(q)


def process_of(city, case_no):
    return city.work(lambda s: cases.get_by_no(s, case_no).process_id)


def file_emergency(city, reported, filed, **report):
    city.set_clock(reported)
    case_no = city.report(**{**COLLAPSE, **report})
    city.set_clock(filed)
    # the intake's grade does not matter: an emergency is always A
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="C")
    return case_no


def verified(city, case_no):
    return city.work(lambda s: audit.verify_case(s, city.runtime, case_no))


def test_routed_handled_checked_closed(city):
    case_no = file_emergency(city, "2026-03-02 09:00", "2026-03-02 09:05")
    assert process_of(city, case_no) == "municipal_emergency"
    started = started_event(city, case_no)
    assert started.step == "municipal_emergency"
    assert started.data["routing"]["process_id"] == "municipal_emergency"
    assert started.data["routing"]["rule"] == "case_routing_rule_2"      # major class 2004, 突发事件
    shown = city.show(case_no)
    assert shown["urgency"] == "A" and shown["status"] == "dispatching"
    assert shown["due_at"] == "2026-03-02T11:05:00+08:00"     # 2 working hours
    assert [(t["step"], t["role"], t["unit"]) for t in shown["open_tasks"]] == [("dispatch", "dispatcher", CENTER)]
    # straight to the responsible department: it holds and handles the case, no street or community
    city.complete(case_no, "dispatch", "dispatcher", action="assign", unit=MUNICIPAL)
    shown = city.show(case_no)
    assert shown["status"] == "handling" and shown["holder_unit"] == MUNICIPAL
    assert [(t["step"], t["role"], t["unit"]) for t in shown["open_tasks"]] == [("handle", "officer", MUNICIPAL)]
    city.set_clock("2026-03-02 10:30")
    city.complete(case_no, "handle", f"officer-{MUNICIPAL}", action="done", result="已设置围挡并回填修复")
    assert [(t["step"], t["unit"]) for t in city.open_tasks(case_no)] == [("check_result", GRID)]
    city.complete(case_no, "check_result", GRID_USER, passed=True, note="路面已修复")
    city.complete(case_no, "close_case", "shiftlead", comment="险情消除")
    shown = city.show(case_no)
    assert shown["status"] == "closed" and shown["overdue"] is False and shown["penalties"] == []
    assert verified(city, case_no).ok, verified(city, case_no)


def test_overdue_escalates_at_once_with_one_penalty(city):
    # filed Monday 16:00: 16:00-17:30 is 1.5 working hours, the last half hour on Tuesday 08:00-08:30
    case_no = file_emergency(city, "2026-03-02 15:55", "2026-03-02 16:00")
    assert city.show(case_no)["due_at"] == "2026-03-03T08:30:00+08:00"
    city.complete(case_no, "dispatch", "dispatcher", action="assign", unit=SIMING)
    assert [(t["step"], t["unit"]) for t in city.open_tasks(case_no)] == [("handle", SIMING)]
    city.set_clock("2026-03-03 08:29")
    city.sweep()
    assert city.show(case_no)["penalties"] == []
    city.set_clock("2026-03-03 08:30")
    city.sweep()
    shown = city.show(case_no)
    assert shown["overdue"] is True
    assert [(p["unit"], p["points"], p["reason"]) for p in shown["penalties"]] == [(SIMING, 1.0, "overdue")]
    assert ("supervise", "shiftlead", CENTER) in [(t["step"], t["role"], t["unit"]) for t in shown["open_tasks"]]
    # days later, and swept again: still the one penalty (the emergency presses at once, not daily)
    city.set_clock("2026-03-05 10:00")
    city.sweep()
    city.sweep()
    assert len(city.show(case_no)["penalties"]) == 1
    city.complete(case_no, "supervise", "shiftlead", comment="立即处置")
    assert ("supervise_reply", SIMING) in [(t["step"], t["unit"]) for t in city.open_tasks(case_no)]
    city.complete(case_no, "handle", f"officer-{SIMING}", action="done", result="已抢修")
    assert len(city.show(case_no)["penalties"]) == 1
    assert verified(city, case_no).ok, verified(city, case_no)


def test_other_reports_stay_on_the_default_process(city):
    city.set_clock("2026-03-02 09:00")
    sewage = city.report()                                   # 200115: no rule but the last one
    gas_cover = city.report(category="100111", description="燃气井盖缺失")   # a rule by category
    assert process_of(city, sewage) == "case_handling"
    assert started_event(city, sewage).data["routing"]["rule"] == "case_routing_rule_3"
    assert process_of(city, gas_cover) == "municipal_emergency"
    assert started_event(city, gas_cover).data["routing"]["rule"] == "case_routing_rule_1"
