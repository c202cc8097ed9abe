"""audit.derived: the derived rows of a case (its row, units, penalties, steps) are rebuilt from its
history and compared with what is stored; each kind of tampering with them is named."""
from sqlalchemy import text

from handlers.audit import verify
from handlers.cases import service as cases
from tests.handlers.cases.test_lifecycle import SIMING, file_case


def overdue_case(city):
    """A case held by 思明区 that ran one working day past its deadline: two penalties."""
    case_no = file_case(city)                                    # A, due Tue 2026-03-03 16:10
    city.dispatch_down(case_no, SIMING)
    city.set_clock("2026-03-04 16:15")
    while city.sweep().fired:
        pass
    assert [p["reason"] for p in city.show(case_no)["penalties"]] == ["overdue", "overdue_day"]
    return case_no


def check(city, case_no):
    return city.work(lambda s: verify.verify_case(s, city.runtime, case_no))


def tamper(city, case_no, sql):
    def do(session):
        case = cases.get_by_no(session, case_no)
        session.execute(text(sql), {"case": case.id, "instance": case.instance_id})
    city.work(do)


def test_untouched_rows_verify(city):
    case_no = overdue_case(city)
    assert check(city, case_no).ok


def test_a_deleted_penalty_and_an_edited_status_are_both_named(city):
    case_no = overdue_case(city)
    tamper(city, case_no, "DELETE FROM penalties WHERE case_id = :case AND reason = 'overdue_day'")
    tamper(city, case_no, "UPDATE cases SET status = 'closed' WHERE id = :case")
    result = check(city, case_no)
    assert not result.ok and result.problem.startswith("derived rows differ: ")
    assert "case status is closed, its history says handling" in result.problem
    assert f"penalty {SIMING} 0.5 overdue_day due 2026-03-04T16:10:00+08:00 is missing" in result.problem


def test_an_altered_penalty_and_a_moved_deadline(city):
    case_no = overdue_case(city)
    tamper(city, case_no, "UPDATE penalties SET points = 0.1 WHERE case_id = :case AND reason = 'overdue'")
    tamper(city, case_no, "UPDATE cases SET due_at = '2026-03-10 08:10:00' WHERE id = :case")
    problem = check(city, case_no).problem
    assert f"penalty {SIMING} 0.1 overdue due 2026-03-03T16:10:00+08:00 is not in the case's history" in problem
    assert f"penalty {SIMING} 1 overdue due 2026-03-03T16:10:00+08:00 is missing" in problem
    assert "case due_at is 2026-03-10T16:10:00+08:00, its history says 2026-03-03T16:10:00+08:00" in problem


def test_a_dropped_step_a_changed_holder_and_a_lost_unit(city):
    case_no = overdue_case(city)
    tamper(city, case_no, "DELETE FROM case_steps WHERE case_id = :case AND step = 'dispatch'")
    tamper(city, case_no, "UPDATE cases SET holder_unit = '350206' WHERE id = :case")
    tamper(city, case_no, f"DELETE FROM case_units WHERE case_id = :case AND unit_code = '{SIMING}'")
    problem = check(city, case_no).problem
    assert "case holder_unit is 350206, its history says 350203" in problem
    assert "the case_units index holds" in problem
    assert "(dispatch)" in problem and ("is missing" in problem or "is stored as" in problem)


def test_a_units_row_holding_another_status_is_named(city):
    """The case's columns copied onto its units' rows (the list's filters) are checked against the
    history too: a street's list filtered by a status it no longer has would show the case."""
    case_no = overdue_case(city)
    assert check(city, case_no).ok
    tamper(city, case_no, f"UPDATE case_units SET status = 'closed' WHERE case_id = :case AND unit_code = '{SIMING}'")
    problem = check(city, case_no).problem
    assert "the case_units rows hold status closed, its history says handling" in problem
    assert "case status" not in problem          # the case row itself is as its history says
