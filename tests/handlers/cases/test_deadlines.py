"""cases.deadlines: one rule for a deadline and its warning (the diagram, extensions and the light
all read it), one definition of overdue (the instant itself is overdue, as the timers fire then),
the light from what the instance computed."""
from datetime import timedelta

from sqlalchemy import select

from engine.models import Timer
from handlers.cases import deadlines, search, service as cases
from handlers.cases.models import Case
from handlers.org.models import User
from handlers.workcalendar.worktime import get_calendar
from tests import deployment_files
from tests.handlers.cases.test_lifecycle import file_case, timers_of
from tests.helpers import at


def test_compute_gives_the_deadline_and_the_warning_on_the_calendar(app):
    calendar = get_calendar(app)
    found = deadlines.compute(calendar, at("2026-03-02 16:10"), 1, 0.8)
    # 1 working day = 7 office hours; 80% of it = 5 h 36 min: 17:30 (1 h 20) + 08:00-12:00 + 16 min
    assert (found.due_at, found.warn_at, found.provisional) == (at("2026-03-03 16:10"), at("2026-03-03 14:46"), False)
    assert deadlines.compute(calendar, at("2026-12-31 16:10"), 4, 0.8).provisional is True   # into 2027


def test_the_diagrams_timers_are_what_compute_says(city):
    case_no = file_case(city, urgency="B")
    expected = deadlines.compute(get_calendar(city.app), at("2026-03-02 16:10"), 2, 0.8)
    timers = timers_of(city, case_no)
    assert (timers["overdue_timer"], timers["warning_timer"]) == (expected.due_at, expected.warn_at)


def test_a_category_with_its_own_limit_gets_it_on_the_calendar_and_the_others_the_default(city):
    """Filed on Friday: 暴露垃圾 C has 1 working day (Monday), 乱倒乱排污水废水 C the default 4 (Thursday)."""
    garbage = file_case(city, urgency="C", reported="2026-03-06 10:00", filed="2026-03-06 10:05", category="200102")
    sewage = file_case(city, urgency="C", reported="2026-03-06 10:00", filed="2026-03-06 10:05")
    assert city.show(garbage)["due_at"] == "2026-03-09T10:05:00+08:00"
    assert city.show(sewage)["due_at"] == "2026-03-12T10:05:00+08:00"
    assert timers_of(city, garbage)["overdue_timer"] == at("2026-03-09 10:05")
    city.set_clock("2026-03-09 10:05")
    city.sweep()
    assert city.show(garbage)["overdue"] is True and city.show(sewage)["overdue"] is False


def test_is_overdue_at_the_instant_itself():
    due = at("2026-03-03 16:10")
    assert not deadlines.is_overdue(due, due - timedelta(microseconds=1))
    assert deadlines.is_overdue(due, due)
    assert not deadlines.is_overdue(None, due)


def test_a_case_closed_exactly_at_its_deadline_is_overdue_in_the_json_and_the_search(city):
    case_no = file_case(city)

    def close_at_deadline(session):
        case = cases.get_by_no(session, case_no)
        case.closed_at = case.due_at            # as if it ended at the very instant
        return case.due_at
    due = city.work(close_at_deadline)
    assert city.show(case_no)["overdue"] is True

    def overdue_numbers(session):
        user = session.scalar(select(User).where(User.username == "intake"))
        found = search.search(session, city.directory, user=user, filters=search.Filters(overdue=True),
                              now=due - timedelta(days=1))
        return [c.case_no for c in found.items]
    assert city.work(overdue_numbers) == [case_no]


def test_the_light_follows_the_warning_instant_the_instance_computed(city):
    """A version whose table warns at half the limit: the light turns yellow at its warn_at, not at 80%."""
    files = deployment_files.shipped()
    table = files["time_limit.dmn"].decode()
    assert table.count("<text>0.8</text>") == table.count("<rule ") > 3       # every rule, every category
    files["time_limit.dmn"] = table.replace("<text>0.8</text>", "<text>0.5</text>").encode()
    from engine import deployments
    city.work(lambda s: deployments.deploy(s, city.runtime, files=files, process_id="case_handling", actor="owner"))
    case_no = file_case(city)                       # A, filed Mon 16:10: half of 7 h is 3 h 30 -> Tue 10:10
    warn = city.work(lambda s: cases.get_by_no(s, case_no).warn_at)
    assert warn == at("2026-03-03 10:10")
    assert city.work(lambda s: s.scalar(select(Timer.due_at).where(Timer.spec_name == "warning_timer"))) == warn
    calendar = get_calendar(city.app)

    def colour(now):
        return city.work(lambda s: deadlines.light(cases.get_by_no(s, case_no), now, calendar).colour)
    assert colour(warn - timedelta(minutes=1)) == "green"
    assert colour(warn) == "yellow"
    assert colour(at("2026-03-03 16:10")) == "red"


def test_the_light_of_a_closed_case(city):
    case_no = file_case(city)
    calendar = get_calendar(city.app)

    def light_closed(delay):
        def read(session):
            case = cases.get_by_no(session, case_no)
            case.closed_at = case.due_at + delay
            found = deadlines.light(case, case.closed_at, calendar)
            session.rollback()
            return found
        return city.work(read)
    on_time = light_closed(timedelta(hours=-1))
    assert (on_time.colour, on_time.late_by) == ("done", timedelta(0))
    late = light_closed(timedelta(hours=1))      # Tue 17:10: one office hour past 16:10
    assert (late.colour, late.late_by) == ("done-late", timedelta(hours=1))


def test_the_light_in_sql_is_the_light_in_python(city):
    """`light_clause` (lists and counts) and `light` (one case) give every case the same colour, at
    instants around the warnings and deadlines of an A, a B and a C case, an unfiled one and a closed one."""
    numbers = [file_case(city, urgency) for urgency in "ABC"]
    city.set_clock("2026-03-02 16:20")
    unfiled = city.report(description="尚未受理")
    closed = file_case(city, "B", reported="2026-03-02 16:30", filed="2026-03-02 16:31")
    city.work(lambda s: setattr(cases.get_by_no(s, closed), "closed_at", at("2026-03-03 09:00")))
    calendar = get_calendar(city.app)

    def both_ways(now):
        def lit(case):         # the light of an open case; None before filing and once closed (done)
            found = deadlines.light(case, now, calendar)
            return found.colour if found and found.colour in deadlines.LIGHTS else None

        def read(session):
            in_python = {c.case_no: lit(c) for c in session.scalars(select(Case))}
            in_sql = dict.fromkeys(in_python)
            for colour in deadlines.LIGHTS:
                for no in session.scalars(select(Case.case_no).where(deadlines.light_clause(colour, now))):
                    assert in_sql[no] is None, (no, colour)       # one light at most
                    in_sql[no] = colour
            return in_python, in_sql
        return city.work(read)
    seen = set()
    due = city.work(lambda s: [(c.warn_at, c.due_at) for c in s.scalars(select(Case).where(Case.due_at.is_not(None)))])
    for instant in sorted({t + d for pair in due for t in pair for d in (timedelta(minutes=-1), timedelta(0))}):
        in_python, in_sql = both_ways(instant)
        assert in_python == in_sql, instant
        seen |= set(in_python.values())
        assert in_python[unfiled] is None and in_python[closed] is None
    assert seen == {"green", "yellow", "red", None} and len(numbers) == 3
