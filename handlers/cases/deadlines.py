"""Deadlines, defined once: a case's deadline and warning instant from its filing time, its limit
(the time-limit decision table of its own version) and the working-day calendar; when a case is
overdue (and from which instant on, stored on the row for the list's filter: `overdue_from`); its light (green, yellow, red; in Python for one case and in SQL for lists, side by side);
extensions approved by the shift lead; suspensions (挂起: the clock stops while the case waits on a
third party, and the deadline moves by exactly the working time it was suspended); and recomputing
the deadlines that were provisional once official calendar data arrives for their year.

`compute` is what the diagram calls (the `case_deadline` script function) and what extensions,
suspensions and recomputations call again (through `recomputed`), so they can never disagree; the
UI only reads what the instance computed (the case row's due_at and warn_at).

How a suspension stops the clock: its timers (warning, overdue, the daily penalty) wait on the
handling subprocess and are computed from `due_at` and `warn_at`. While a case is suspended these
stand at the deadline it would have if it resumed at the expected date (the limit plus every ended
suspension plus the working time up to that date), so no timer can come due before that date —
suspension is refused once no working time is left — and the diagram's own timer resumes the case
at the latest then. On resume they are computed again with the working time actually suspended,
and the timers re-armed (`instances.update_data`), so the deadline ends up moved by exactly that."""
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, event, literal, not_, select

from engine import instances
from engine.models import UTCDateTime

from .. import localtime
from ..process import contract
from .models import Case
from .statuses import ENDED

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    warn_at: datetime
    provisional: bool      # the count touches a year without official calendar data


def compute(calendar, filed_at: datetime, working_days, warning_share, working_hours=0) -> Deadline:
    """`working_days` (and `working_hours` more: an emergency's limit of a few office hours) from
    `filed_at` on the calendar, and the instant `warning_share` of that working time in."""
    if working_hours:
        total = working_days * calendar.working_day + working_hours * HOUR
        due = calendar.add_working_time(filed_at, total)
        warn = calendar.add_working_time(filed_at, total * warning_share)
        return Deadline(due.at, warn.at, due.provisional)
    due = calendar.add_working_days(filed_at, working_days)
    hours_per_day = calendar.working_day / HOUR
    warn = calendar.add_working_hours(filed_at, working_days * hours_per_day * warning_share)
    return Deadline(due.at, warn.at, due.provisional)


def is_overdue(due_at: datetime | None, end: datetime) -> bool:
    """Overdue at `end` (now, or when the case was handled or closed): the deadline is reached at
    its instant, as the engine's timers fire then (a timer is due when its instant <= now)."""
    return due_at is not None and end >= due_at


def overdue_clause(due_at, end):
    """`is_overdue` in SQL, for columns or instants: a deadline, and `end` at or after it."""
    return and_(due_at.is_not(None), end >= due_at)


ENDED_LATE = datetime(1970, 1, 1, tzinfo=timezone.utc)   # overdue_from of a case that ended late


def overdue_from(due_at: datetime | None, closed_at: datetime | None) -> datetime | None:
    """The instant from which a case is overdue at any `now` (`is_overdue` at now while it is open,
    at its closing once it ended), stored on the case row so that the list's overdue filter is one
    range of an index (`overdue_from <= now`) instead of two columns compared on every case: its
    deadline while open; ENDED_LATE (before any now) once it ended at or after its deadline; None
    when it has no deadline or ended in time (overdue at no instant)."""
    if due_at is None:
        return None
    if closed_at is None:
        return due_at
    return ENDED_LATE if is_overdue(due_at, closed_at) else None


@event.listens_for(Case, "before_insert")
@event.listens_for(Case, "before_update")
def _keep_overdue_from(mapper, connection, case):
    """A case row written through the ORM (a report, or any change of its deadline or closing made
    on the object) keeps its overdue_from in step; the case row's listener (`summary`) writes it
    with the fields it derives."""
    case.overdue_from = overdue_from(case.due_at, case.closed_at)


@dataclass(frozen=True)
class Light:
    """The deadline light of a filed case."""

    colour: str            # green, yellow (warning passed), red (overdue); done / done-late once closed
    due_at: datetime
    provisional: bool
    remaining: timedelta   # working time left before the deadline (zero once it passed)
    late_by: timedelta     # working time past the deadline (zero when not late)


def colour(case, now) -> str | None:
    """The colour of a case's light at `now` (None until it is filed): green, yellow once the warning
    instant passed, red overdue; done or done-late once it ended. No calendar needed, so a map of
    thousands of cases asks it for each."""
    if not case.due_at or not case.filed_at:
        return None
    if case.closed_at:
        return "done-late" if is_overdue(case.due_at, case.closed_at) else "done"
    if is_overdue(case.due_at, now):
        return "red"
    return "yellow" if case.warn_at is not None and now >= case.warn_at else "green"


def light(case, now, calendar) -> Light | None:
    """The light of a case at `now` (`colour`, with the working time left or past): None until it is filed."""
    found = colour(case, now)
    if found is None:
        return None
    end = case.closed_at or now
    late = is_overdue(case.due_at, end)
    late_by = calendar.working_time_between(case.due_at, end) if late else timedelta(0)
    remaining = timedelta(0) if late else calendar.working_time_between(end, case.due_at)
    return Light(found, case.due_at, case.due_provisional, remaining, late_by)


LIGHTS = ("green", "yellow", "red")     # the lights of an open case


def light_clause(colour, now):
    """`light` in SQL (for lists and counts): the cases whose light at `now` is `colour`, one of
    LIGHTS (an open filed case: not closed, with a deadline). The same three conditions as `light`."""
    at = literal(now, UTCDateTime)
    lit = and_(Case.filed_at.is_not(None), Case.due_at.is_not(None), Case.closed_at.is_(None))
    red = overdue_clause(Case.due_at, at)
    if colour == "red":
        # overdue_from after ENDED_LATE is the deadline of an open case (`overdue_from`): `lit` but
        # for the filing and `red`, in one range of its index, which holds filed_at too
        return and_(Case.overdue_from > literal(ENDED_LATE, UTCDateTime), Case.overdue_from <= at,
                    Case.filed_at.is_not(None))
    warned = and_(Case.warn_at.is_not(None), at >= Case.warn_at)
    if colour == "yellow":
        return and_(lit, not_(red), warned)
    if colour == "green":
        return and_(lit, not_(red), not_(warned))
    raise ValueError(f"unknown light {colour!r}")


def recomputed(calendar, state: contract.CaseState, extra_days=0) -> dict:
    """The deadline variables of a filed case for its whole limit (with every extension), moved by
    the working time of its ended suspensions and, while it is suspended, up to its expected date."""
    total = state.time_limit + state.extended_days + extra_days
    deadline = compute(calendar, state.filed_at, total, state.warning_share, state.time_limit_hours)
    due, warn, provisional = deadline.due_at, deadline.warn_at, deadline.provisional
    stopped = timedelta(seconds=state.suspended_seconds)
    if state.suspended:
        resume_at = localtime.parse(state.suspension["resume_at"])
        stopped += calendar.working_time_between(localtime.parse(state.suspension["suspended_at"]), resume_at)
    if stopped:
        moved = calendar.add_working_time(due, stopped)
        due, warn, provisional = moved.at, calendar.add_working_time(warn, stopped).at, provisional or moved.provisional
    if state.suspended:   # a warning with no working time left before the expected date waits for it
        warn = max(warn, resume_at)
    return {"due_at": localtime.isoformat(due), "warn_at": localtime.isoformat(warn),
            "due_provisional": provisional, "extended_days": state.extended_days + extra_days}


# --- suspension (挂起) ---------------------------------------------------------------------------

SUSPEND_MAX_WORKING_DAYS = 30     # the latest expected resume date: this many working days ahead


def suspension_refusal(calendar, state: contract.CaseState, now: datetime) -> str | None:
    """Why the case cannot be suspended now (None: it can): overdue, or no working time left."""
    if state.due_at is None:
        return "案件尚未立案，不能挂起"
    if is_overdue(state.due_at, now) or calendar.working_time_between(now, state.due_at) <= timedelta(0):
        return "案件已超期（或已无剩余处置时间），不能挂起"
    return None


def resume_date_refusal(calendar, resume_on: date, now: datetime) -> str | None:
    """Why `resume_on` is no expected resume date (None: it is): after today, within 30 working days."""
    today = localtime.local_date(now)
    latest = localtime.local_date(calendar.add_working_days(now, SUSPEND_MAX_WORKING_DAYS).at)
    if resume_on <= today:
        return "预计恢复日期须在今天之后"
    if resume_on > latest:
        return f"预计恢复日期不能晚于 {latest.isoformat()}（{SUSPEND_MAX_WORKING_DAYS} 个工作日内）"
    return None


def make_suspend_clock(calendar):
    def suspend_clock(call, reason, resume_on):
        """Service `suspend_clock` (the shift lead approved): stop the clock until `resume_on`."""
        state = contract.read(call.task.data)
        now = call.now
        refused = suspension_refusal(calendar, state, now) or resume_date_refusal(calendar, date.fromisoformat(resume_on), now)
        if refused:
            raise ValueError(refused)
        suspension = {"reason": reason, "resume_on": resume_on, "suspended_at": localtime.isoformat(now),
                      "resume_at": localtime.isoformat(localtime.day_start(date.fromisoformat(resume_on))),
                      "resumed_at": None, "seconds": None}
        updates = {"suspension": suspension, **recomputed(calendar, replace(state, suspension=suspension))}
        instances.update_data(call.context.loaded, updates, reason=f"suspended until {resume_on}",
                              context={"suspension": "suspended"})
        return {"resume_at": suspension["resume_at"], "due_at": updates["due_at"]}
    return suspend_clock


def make_resume_clock(calendar):
    def resume_clock(call):
        """Service `resume_clock`: start the clock again; the deadline moves by the working time suspended."""
        state = contract.read(call.task.data)
        if not state.suspended:
            raise ValueError("the case is not suspended")
        now = call.now
        stopped = calendar.working_time_between(localtime.parse(state.suspension["suspended_at"]), now)
        seconds = max(int(stopped.total_seconds()), 0)
        suspension = {**state.suspension, "resumed_at": localtime.isoformat(now), "seconds": seconds}
        total = state.suspended_seconds + seconds
        updates = {"suspension": suspension, "suspended_seconds": total,
                   **recomputed(calendar, replace(state, suspension=suspension, suspended_seconds=total))}
        instances.update_data(call.context.loaded, updates, reason=f"resumed after {seconds} working seconds",
                              context={"suspension": "resumed"})
        return {"seconds": seconds, "due_at": updates["due_at"]}
    return resume_clock


def make_extend_deadline(calendar):
    def extend_deadline(call, working_days):
        """Service `extend_deadline`: move the deadline (and its timers) by the approved working days."""
        if not working_days or working_days < 1:
            raise ValueError("an extension needs a positive number of working days")
        updates = recomputed(calendar, contract.read(call.task.data), int(working_days))
        instances.update_data(call.context.loaded, updates, reason=f"extension of {working_days} working days")
        return {"working_days": int(working_days), "due_at": updates["due_at"]}
    return extend_deadline


def provisional_cases(session, year):
    """Open cases with a provisional deadline whose count (filing to due, Beijing dates) touches `year`."""
    rows = session.scalars(select(Case).where(Case.due_provisional.is_(True), Case.status.not_in(ENDED)))
    return [c for c in rows if c.filed_at and c.due_at
            and localtime.local_date(c.filed_at).year <= year <= localtime.local_date(c.due_at).year]


def recompute_provisional(session, runtime, calendar, year, *, actor="calendar", progress=None):
    """Recompute the provisional deadlines touching `year` (after its data was loaded) and move
    their timers; returns [(case_no, old due, new due, still provisional)]. `progress(done, total)`
    is told after each case (the CLI's progress bar)."""
    changed = []
    found = provisional_cases(session, year)
    for case in found:
        loaded = instances.load(session, runtime, case.instance_id, actor=actor)
        state = contract.read(loaded.main_task(exclude=contract.PARALLEL_STEPS).data)
        updates = recomputed(calendar, state)
        instances.update_data(loaded, updates, reason=f"official calendar data for {year} loaded",
                              external=True, context={"calendar_year": year})
        instances.save(session, runtime, loaded)
        changed.append((case.case_no, localtime.isoformat(state.due_at), updates["due_at"], updates["due_provisional"]))
        if progress is not None:
            progress(len(changed), len(found))
    return changed
