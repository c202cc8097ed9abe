"""Scenario tests of the default case lifecycle, in simulated time, through the service layer,
on SQLite and PostgreSQL (the `city` fixture), with the real BPMN files."""
import threading

import pytest
from marshmallow import ValidationError
from sqlalchemy import event, select, text

from engine import direct, events, instances
from engine.models import Timer
from handlers import errors
from handlers.audit import verify as audit
from handlers.cases import service as cases
from handlers.worklist import service as worklist
from tests.helpers import at

CENTER, SIMING, JIALIAN, YINGCUI = "350200", "350203", "350203011", "350203011003"
GRID = "35020301100301"
GRID_USER = f"grid-{GRID}"


def file_case(city, urgency="A", reported="2026-03-02 16:05", filed="2026-03-02 16:10", **report):
    city.set_clock(reported)
    case_no = city.report(**report)
    city.set_clock(filed)
    city.complete(case_no, "accept_report", "intake", decision="file", urgency=urgency)
    return case_no


def handled_by_yingcui(city, case_no):
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="已疏通下水道，清理路面")


def verify_all(city):
    def check(session):
        return [audit.verify_case(session, city.runtime, no) for no in audit.all_case_numbers(session)]
    results = city.work(check)
    assert results and all(r.ok for r in results), [r for r in results if not r.ok]


def timers_of(city, case_no):
    def q(session):
        case = cases.get_by_no(session, case_no)
        return {t.spec_name: t.due_at for t in session.scalars(select(Timer).where(Timer.instance_id == case.instance_id))}
    return city.work(q)


def test_seed_case_from_report_to_close(city):
    case_no = file_case(city)
    shown = city.show(case_no)
    assert shown["status"] == "dispatching" and shown["urgency"] == "A"
    assert shown["filed_at"] == "2026-03-02T16:10:00+08:00"
    assert shown["due_at"] == "2026-03-03T16:10:00+08:00"          # 1 working day: 16:10 next working day
    assert shown["due_provisional"] is False
    assert shown["holder_unit"] == CENTER
    assert [(t["step"], t["role"], t["unit"]) for t in shown["open_tasks"]] == [("dispatch", "dispatcher", CENTER)]
    # warning at 80% of 7 h = 5 h 36 min of office time after 16:10: 17:30 (1 h 20) + 08:00-12:00 + 16 min
    assert timers_of(city, case_no)["warning_timer"] == at("2026-03-03 14:46")

    city.set_clock("2026-03-02 16:20")
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    assert city.show(case_no)["holder_unit"] == YINGCUI
    assert city.task(case_no, "handle")["unit"] == YINGCUI
    city.set_clock("2026-03-03 10:00")
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="莲景物业维修，已处置")
    assert city.task(case_no, "review")["unit"] == JIALIAN
    city.review_up(case_no, JIALIAN, SIMING, CENTER)
    check = city.task(case_no, "check_result")
    assert (check["role"], check["unit"]) == ("grid", GRID)
    city.complete(case_no, "check_result", GRID_USER, passed=True, note="现场已无污水")
    assert city.show(case_no)["status"] == "closing"
    city.complete(case_no, "close_case", "shiftlead", comment="结案")
    shown = city.show(case_no)
    assert shown["status"] == "closed" and shown["open_tasks"] == [] and shown["penalties"] == []
    assert shown["overdue"] is False
    assert timers_of(city, case_no) == {}
    verify_all(city)


def test_overdue_penalises_the_holder_once_and_every_further_working_day(city):
    case_no = file_case(city)                                   # due Tue 2026-03-03 16:10
    city.assign_down(case_no, SIMING, JIALIAN, YINGCUI)         # 盈翠社区 holds it, not yet handling
    city.set_clock("2026-03-03 16:09")
    assert city.sweep().fired == 1                              # only the warning (14:46)
    assert city.show(case_no)["penalties"] == []
    city.set_clock("2026-03-03 16:10")
    city.sweep()
    shown = city.show(case_no)
    assert [(p["unit"], p["points"], p["reason"]) for p in shown["penalties"]] == [(YINGCUI, 1.0, "overdue")]
    assert shown["overdue"] is True
    assert city.task(case_no, "supervise")["role"] == "shiftlead"
    assert city.sweep().fired == 0                              # a second sweep records nothing again
    # Wed 16:10 is one further working day; Thu 16:10 another.
    city.set_clock("2026-03-05 16:10")
    city.sweep()
    city.sweep()
    points = [(p["unit"], p["points"], p["reason"]) for p in city.show(case_no)["penalties"]]
    assert points == [(YINGCUI, 1.0, "overdue"), (YINGCUI, 0.5, "overdue_day"), (YINGCUI, 0.5, "overdue_day")]
    city.complete(case_no, "supervise", "shiftlead", comment="请盈翠社区立即处置")
    assert city.show(case_no)["status"] == "dispatching"        # still with 盈翠社区, supervised
    verify_all(city)


def test_overdue_days_skip_the_weekend(city):
    case_no = file_case(city, reported="2026-03-06 16:05", filed="2026-03-06 16:10")   # Friday -> due Mon 16:10
    city.dispatch_down(case_no, SIMING)
    city.set_clock("2026-03-09 16:10")
    city.sweep()
    city.set_clock("2026-03-10 16:09")                          # Tue, just before one further working day
    city.sweep()
    assert [p["reason"] for p in city.show(case_no)["penalties"]] == ["overdue"]
    city.set_clock("2026-03-10 16:10")
    city.sweep()
    assert [p["reason"] for p in city.show(case_no)["penalties"]] == ["overdue", "overdue_day"]
    assert all(p["unit"] == SIMING for p in city.show(case_no)["penalties"])


def test_extension_moves_the_deadline_and_its_timers(city):
    case_no = file_case(city)
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="extend", working_days=2, reason="需物业报价")
    assert city.show(case_no)["status"] == "extension"
    city.complete(case_no, "approve_extension", "shiftlead", approved=True, comment="同意")
    shown = city.show(case_no)
    assert shown["due_at"] == "2026-03-05T16:10:00+08:00"      # three working days from filing
    assert timers_of(city, case_no)["overdue_timer"] == at("2026-03-05 16:10")
    city.set_clock("2026-03-03 16:30")                          # the old deadline has passed
    city.sweep()
    assert city.show(case_no)["penalties"] == []
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="已修复")
    assert city.show(case_no)["status"] == "reviewing"
    verify_all(city)


def test_extension_approved_while_overdue_never_repeats_a_days_penalty(city):
    case_no = file_case(city)                                   # due Tue 2026-03-03 16:10
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    city.set_clock("2026-03-06 10:00")                          # Fri: overdue Tue, further days Wed and Thu
    city.sweep()
    assert [p["reason"] for p in city.show(case_no)["penalties"]] == ["overdue", "overdue_day", "overdue_day"]
    # One working day more: the new deadline (Wed 16:10) has passed too; Thu's day is not counted again.
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="extend", working_days=1, reason="需物业报价")
    city.complete(case_no, "approve_extension", "shiftlead", approved=True, comment="同意")
    assert city.show(case_no)["due_at"] == "2026-03-04T16:10:00+08:00"
    assert city.sweep().fired == 0
    assert len(city.show(case_no)["penalties"]) == 3
    city.set_clock("2026-03-06 16:10")                          # Fri's further day comes as it would have
    city.sweep()
    assert [p["reason"] for p in city.show(case_no)["penalties"]] == ["overdue"] + ["overdue_day"] * 3
    verify_all(city)


def test_the_penalties_of_more_cases_than_one_in_list_takes_are_all_read(city):
    """penalties.for_cases reads its cases in parts of direct.IN_MOST: one past the first part
    keeps its penalties, in order."""
    from handlers.cases import penalties
    case_no = file_case(city)
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    city.set_clock("2026-03-06 10:00")
    city.sweep()

    def lookup(session):
        case_id = cases.get_by_no(session, case_no).id
        found = penalties.for_cases(session, [-n for n in range(1, 2 * direct.IN_MOST + 5)] + [case_id])
        return list(found) == [case_id], [p.reason for p in found[case_id]]
    assert city.work(lookup) == (True, ["overdue", "overdue_day", "overdue_day"])


def test_refused_extension_keeps_the_deadline(city):
    case_no = file_case(city)
    city.dispatch_down(case_no, SIMING)
    city.complete(case_no, "handle", f"officer-{SIMING}", action="extend", working_days=3, reason="工程量大")
    city.complete(case_no, "approve_extension", "shiftlead", approved=False, comment="不同意")
    assert city.show(case_no)["due_at"] == "2026-03-03T16:10:00+08:00"
    assert city.task(case_no, "handle")["unit"] == SIMING


def test_return_and_redispatch(city):
    case_no = file_case(city)
    city.complete(case_no, "dispatch", "dispatcher", action="assign", unit="350206")   # 湖里区, wrongly
    city.complete(case_no, "dispatch", "officer-350206", action="return", reason="不属于湖里区")
    assert city.show(case_no)["holder_unit"] == CENTER
    handled_by_yingcui(city, case_no)
    assert city.task(case_no, "review")["unit"] == JIALIAN
    verify_all(city)


def test_handler_returns_a_case_that_is_not_theirs(city):
    case_no = file_case(city)
    city.dispatch_down(case_no, SIMING, JIALIAN)
    city.complete(case_no, "handle", f"officer-{JIALIAN}", action="return", reason="应由社区处置")
    assert city.task(case_no, "dispatch")["unit"] == SIMING


def test_review_sends_it_back_down(city):
    case_no = file_case(city)
    handled_by_yingcui(city, case_no)
    city.complete(case_no, "review", f"officer-{JIALIAN}", approved=False, comment="照片不清晰，重新处置")
    assert city.task(case_no, "handle")["unit"] == YINGCUI


def test_failed_check_means_rework_counted_against_the_handler(city):
    case_no = file_case(city)
    handled_by_yingcui(city, case_no)
    city.review_up(case_no, JIALIAN, SIMING, CENTER)
    city.complete(case_no, "check_result", GRID_USER, passed=False, note="污水仍在")
    shown = city.show(case_no)
    assert [(p["unit"], p["points"], p["reason"]) for p in shown["penalties"]] == [(YINGCUI, 0.5, "rework")]
    assert shown["rework_count"] == 1
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="返工完成")
    city.review_up(case_no, JIALIAN, SIMING, CENTER)
    city.complete(case_no, "check_result", GRID_USER, passed=True)
    city.complete(case_no, "close_case", "shiftlead")
    assert city.show(case_no)["status"] == "closed"
    verify_all(city)


def test_void(city):
    city.set_clock("2026-03-02 09:00")
    case_no = city.report()
    assert city.complete(case_no, "accept_report", "intake", decision="void", reason="重复上报") == "voided"
    assert city.show(case_no)["open_tasks"] == []


def test_verify_first_then_file(city):
    city.set_clock("2026-03-02 09:00")
    case_no = city.report(channel="hotline12345", community=YINGCUI, grid=None)
    city.complete(case_no, "accept_report", "intake", decision="verify")
    task = city.task(case_no, "verify_report")
    assert (task["role"], task["unit"]) == ("grid", YINGCUI)    # any grid worker of the community
    city.complete(case_no, "verify_report", GRID_USER, exists=True, note="属实")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="B")
    assert city.show(case_no)["due_at"] == "2026-03-04T09:00:00+08:00"


def test_merge_into_an_open_duplicate(city):
    first = file_case(city)
    second = city.report(description="同一处污水")
    with pytest.raises(ValidationError):
        city.complete(second, "accept_report", "intake", decision="merge", duplicate_of="999")
    city.complete(second, "accept_report", "intake", decision="merge", duplicate_of=first)
    shown = city.show(second)
    assert shown["status"] == "merged" and shown["merged_into"] == first
    verify_all(city)


def test_fixed_on_the_spot(city):
    city.set_clock("2026-03-02 10:00")
    case_no = city.report(fixed_on_spot=True)
    shown = city.show(case_no)
    assert shown["status"] == "closed_on_spot" and shown["open_tasks"] == []
    with pytest.raises(cases.CaseError):                         # only grid workers fix on the spot
        city.report(username="officer-350203", fixed_on_spot=True)
    with pytest.raises(ValidationError):
        city.report(username="intake", channel="intake", fixed_on_spot=True)


def test_filed_before_the_national_day_block(city):
    # Wed 2026-09-30 16:10, B = 2 working days: 1 h 50 left that day (summer hours to 18:00),
    # 10-01..07 rest, Thu 10-08 7 h, Fri 10-09 08:00-12:00 then 1 h 10 from 14:30 (winter hours).
    case_no = file_case(city, urgency="B", reported="2026-09-30 16:00", filed="2026-09-30 16:10")
    assert city.show(case_no)["due_at"] == "2026-10-09T15:40:00+08:00"


def test_wrong_user_and_bad_form_change_nothing(city):
    case_no = file_case(city)
    task = city.task(case_no, "dispatch")
    with pytest.raises(errors.PermissionDenied):
        city.complete_id(task["id"], "officer-350203", action="handle")
    with pytest.raises(ValidationError) as err:
        city.complete_id(task["id"], "dispatcher", action="assign", unit=None)
    assert "unit" in err.value.messages
    with pytest.raises(ValidationError) as err:
        city.complete_id(task["id"], "dispatcher", action="assign", unit=JIALIAN)   # not directly below
    assert "unit" in err.value.messages
    with pytest.raises(ValidationError):
        city.complete_id(task["id"], "dispatcher", action="handle", colour="red")
    assert city.task(case_no, "dispatch")["id"] == task["id"]


def test_racing_completions_exactly_one_wins(city):
    """Two dispatchers complete one task at once. On PostgreSQL both have read the task and run the
    instance before either writes it (a barrier before each one's UPDATE of the instance), so the
    loser's version-checked UPDATE, waiting for the winner's row lock, then matches no row: Stale (a
    Conflict). On SQLite a writing unit of work takes the write lock first, so the two run one after
    the other and the second finds the task gone: NotFound. Either way exactly one wins."""
    case_no = file_case(city)
    task_id = city.task(case_no, "dispatch")["id"]
    overlap = city.db.engine.dialect.name == "postgresql"
    barrier, outcomes, racers, waited = threading.Barrier(2), [], set(), set()

    def wait_for_the_other(statement, *_):
        # (seen among SQLAlchemy's cursor events, or among the writes engine.direct sends past them)
        me = threading.current_thread()
        if overlap and me in racers and me not in waited and statement.startswith("UPDATE instances"):
            waited.add(me)
            barrier.wait(timeout=30)

    def attempt(unit):
        barrier.wait(timeout=30)
        try:
            def do(session):
                case = worklist.complete(session, city.runtime, city.directory, user=city.user(session, "dispatcher"),
                                         task_id=task_id, data={"action": "assign", "unit": unit})
                return case.status
            city.work(do)
            outcomes.append("won")
        except (instances.Conflict, instances.NotFound) as exc:
            outcomes.append(type(exc).__name__)

    def cursor_event(conn, cursor, statement, *_):
        wait_for_the_other(statement)

    event.listen(city.db.engine, "before_cursor_execute", cursor_event)
    try:
        with direct.observing(wait_for_the_other):
            threads = [threading.Thread(target=attempt, args=(u,)) for u in (SIMING, "350206")]
            racers.update(threads)
            [t.start() for t in threads]
            [t.join(60) for t in threads]
    finally:
        event.remove(city.db.engine, "before_cursor_execute", cursor_event)
    assert not any(t.is_alive() for t in threads) and len(outcomes) == 2, outcomes
    assert len(waited) == (2 if overlap else 0)          # on PostgreSQL both met at the barrier
    assert sorted(outcomes) == sorted(["won", "Stale" if overlap else "NotFound"]), outcomes
    assert len([t for t in city.open_tasks(case_no) if t["step"] == "dispatch"]) == 1
    verify_all(city)


def test_a_step_after_the_deadline_the_sweep_has_not_reached_first_fires_what_was_due(city):
    """A backlog (or a scheduler that was down) has not fired the overdue timer yet when the
    dispatcher acts at 16:30: the step meets the case as a punctual sweep would have left it — the
    penalty charged to the center, which held the case at 16:10 — and no timer is lost."""
    case_no = file_case(city)                                   # due Tue 2026-03-03 16:10 at the center
    city.set_clock("2026-03-03 16:30")                          # no sweep since the filing
    city.complete(case_no, "dispatch", "dispatcher", action="assign", unit=SIMING)
    shown = city.show(case_no)
    assert [(p["unit"], p["reason"]) for p in shown["penalties"]] == [(CENTER, "overdue")]
    assert shown["overdue"] is True and shown["holder_unit"] == SIMING
    assert city.task(case_no, "supervise")["role"] == "shiftlead"
    assert timers_of(city, case_no) == {"overdue_daily_timer": at("2026-03-04 16:10")}

    def kinds(session):
        case = cases.get_by_no(session, case_no)
        stream = events.get_stream(session, events.instance_stream(case.instance_id))
        return [(e.kind, e.step or sorted(t["timer"] for t in e.data["timers"])) for e in stream
                if e.kind in ("timers_fired", "task_completed")]
    assert city.work(kinds) == [("task_completed", "accept_report"), ("timers_fired", ["overdue_timer", "warning_timer"]),
                                ("task_completed", "dispatch")]
    assert city.sweep().fired == 0                              # nothing was left waiting, fired but not run
    verify_all(city)


def test_sweep_that_dies_half_way_is_run_again_without_double_penalties(city):
    numbers = [file_case(city) for _ in range(3)]
    for no in numbers:
        city.dispatch_down(no, SIMING)
    city.set_clock("2026-03-03 16:30")
    seen = []

    def die_on_second(_):
        seen.append(1)
        if len(seen) == 2:
            raise RuntimeError("power cut")

    from engine import sweep as timers
    with pytest.raises(RuntimeError):
        timers.sweep(city.db, city.runtime, batch=1, on_progress=die_on_second)
    city.sweep()
    city.sweep()
    for no in numbers:
        assert [p["reason"] for p in city.show(no)["penalties"]] == ["overdue"]
    verify_all(city)


def test_tampered_event_is_detected(city):
    case_no = file_case(city)
    verify_all(city)

    def tamper(session):
        case = cases.get_by_no(session, case_no)
        session.execute(text("UPDATE events SET actor = 'someone' WHERE instance_id = :i AND kind = 'task_completed'"),
                        {"i": case.instance_id})
    city.work(tamper)
    result = city.work(lambda s: audit.verify_case(s, city.runtime, case_no))
    assert not result.ok and "altered" in result.problem


def test_deadline_in_a_year_without_data_is_recomputed_when_the_data_arrives(db_url, tmp_path):
    import shutil
    from pathlib import Path
    from tests.conftest import make_app
    from tests.helpers import City

    folder = tmp_path / "calendar"
    shutil.copytree(Path(__file__).resolve().parents[3] / "calendar", folder)
    city = City(make_app(db_url, CITYGRID_CALENDAR_DIR=str(folder)))
    city.setup()
    # Thu 2026-12-31 16:10, C = 4 working days. Provisional 2027: 01-01 estimated 元旦, weekend,
    # Mon-Wed 7 h each; 1 h 20 + 21 h leaves 5 h 40 on Thu 01-07: due 16:10.
    case_no = file_case(city, urgency="C", reported="2026-12-31 16:00", filed="2026-12-31 16:10")
    shown = city.show(case_no)
    assert (shown["due_at"], shown["due_provisional"]) == ("2027-01-07T16:10:00+08:00", True)
    assert timers_of(city, case_no)["overdue_timer"] == at("2027-01-07 16:10")

    # The (here invented) official 2027 notice also gives Monday 01-04 off.
    (folder / "2027.toml").write_text(
        'year = 2027\n[notice]\ntitle = "test notice"\nnumber = "test"\ndate = 2026-11-01\n'
        '[[holidays]]\nname_zh = "元旦"\nname_en = "New Year\'s Day"\nfirst = 2027-01-01\nlast = 2027-01-04\n',
        encoding="utf-8")
    result = city.app.test_cli_runner().invoke(args=["calendar", "recompute", "2027"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "1 deadlines recomputed"
    shown = city.show(case_no)
    assert (shown["due_at"], shown["due_provisional"]) == ("2027-01-08T16:10:00+08:00", False)
    assert timers_of(city, case_no)["overdue_timer"] == at("2027-01-08 16:10")
    verify_all(city)
    city.app.extensions["citygrid.db"].dispose()


def test_a_merged_report_still_replays_after_its_target_closed(city):
    first = file_case(city)
    second = city.report(description="同一处污水")
    city.complete(second, "accept_report", "intake", decision="merge", duplicate_of=first)
    handled_by_yingcui(city, first)
    city.review_up(first, JIALIAN, SIMING, CENTER)
    city.complete(first, "check_result", GRID_USER, passed=True)
    city.complete(first, "close_case", "shiftlead")
    verify_all(city)


def test_a_backlog_swept_in_batches_by_two_processes_penalises_each_case_once(city):
    """Overdue cases swept in batches written at once (and on PostgreSQL shared with a helper
    process): each case's overdue penalty exactly once, and every case still verifies (its chain,
    its replay, its derived rows)."""
    from engine import sweep
    numbers = [file_case(city) for _ in range(7)]
    for no in numbers:
        city.assign_down(no, SIMING, JIALIAN, YINGCUI)
    city.set_clock("2026-03-03 16:30")
    city.runtime.workflows.clear()
    result = sweep.sweep(city.db, city.runtime, batch=2, processes=2)
    assert (result.instances, result.conflicts, result.skipped) == (7, 0, 0)
    assert result.processes == (2 if city.db.engine.dialect.name == "postgresql" else 1)
    assert city.sweep().fired == 0
    for no in numbers:
        shown = city.show(no)
        assert [(p["unit"], p["reason"]) for p in shown["penalties"]] == [(YINGCUI, "overdue")]
        assert shown["overdue"] is True
        assert city.task(no, "supervise")["role"] == "shiftlead"
    verify_all(city)
