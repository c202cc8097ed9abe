"""The indicators, defined once (the README's evaluation section says the same in words).

A period is [start, end) in Beijing time; "at the end" means at `end`, the first instant after it.

Handling (处置, a unit's own handling; a district or street answers for its subtree):
- a handling is a unit's taking of a case to handle it (派遣: 本级处置) until it ends: handled
  (the grid worker's check passed) or returned (退回);
- 已处置数: handlings ended handled in the period; 按期 when the deadline in force then had not
  come (`cases.deadlines.is_overdue`: the due instant itself is late), so an approved extension
  counts and an official-calendar recompute does too; else 超期处置;
- 超期未处置数: handlings still open at the end whose deadline in force then has passed: a case
  stays on the unit's sheet in every period it ends overdue and unhandled;
- 应处置数 = 已处置数 + 超期未处置数 (a handling open and not yet due at the end counts later);
- 返工数: failed checks of the unit's results in the period; 核查数 = 已处置数 + 返工数;
- 退回数: returns by the unit (of a dispatch, or of a case given it to handle) in the period;
- 延期申请数 / 批准数: the unit's extension requests, and approvals of its requests, in the period;
- 挂起申请数 / 挂起批准数: the unit's suspension requests (挂起) and the approvals of them, in the
  period; 挂起时长: the working hours its handlings stood suspended within the period (up to its end,
  or now). Suspended time never counts against 按期: the deadline in force moved by exactly it;
- 按期处置率 = 按期/应处置, 处置率 = 已处置/应处置, 返工率 = 返工/核查 (None with nothing to divide);
- 扣分: the points of the penalties against the unit that fell due in the period;
- 督办数: 督办 that reached the unit in the period (after the overdue timer, or by hand); of them
  督办回复数 answered by the end, 按时回复数 answered within the rules' reply limit (working hours
  from the 督办 reaching the unit), 应回复数 answered by the end or past the limit then (a 督办 whose
  case ended unanswered counts as not answered in time); 督办回复及时率 = 按时回复 / 应回复;
- 回访数: the 回访 of hotline cases the unit handled (`cases.handler_unit`), recorded in the period;
  满意数, 基本满意数, 不满意数 by the citizen's verdict; 满意率 = (满意 + 基本满意) / 回访数.

Areas (区域, by where the case is, whoever handled it): 上报数 (reported), 立案数 (filed), 结案数
(closed as 结案), 按期结案数 (of those, handled on time), 超期未结案数 (filed, not ended and past its
deadline at the end), 应结案数 = 结案 + 超期未结案, 结案率 and 按期结案率 over 应结案, 当场处置数,
作废数 and 并案数, all counted where the event fell in the period.

Command-center posts (by user): 受理数 (accept decisions filed, voided or merged), 派核实数,
平均受理时长 (working hours from the report to its first accept decision), 派遣数 (the center's
dispatches) and 准确派遣率 (those not returned by the unit they went to, by the end), 延期审批数
(approved and refused), 督办数, 结案数. Grid workers (by user): 上报数, 有效上报数 (filed or fixed on
the spot by the end) and 有效上报率, 当场处置数, 核查数 and 核实数 with those done within the time
limit of the rules (按时核查率, 按时核实率)."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from . import queries

HANDLING = ("handled", "on_time", "late", "overdue_open", "rework", "returned", "extension_requests",
            "extensions_approved", "suspension_requests", "suspensions_approved", "supervised", "replies",
            "replies_on_time", "replies_due", "follow_ups", "satisfied", "basically_satisfied", "dissatisfied")
AREA = ("reported", "filed", "closed", "on_time_closed", "overdue_open", "on_spot", "voided", "merged")
JOB = ("accepted", "filed", "voided", "merged", "verify_sent", "dispatched", "dispatch_returned",
       "extensions_decided", "extensions_approved", "extensions_refused", "supervised", "closed")
GRID = ("reported", "valid", "on_spot", "checks", "checks_on_time", "verifications", "verifications_on_time")
HOUR, MINUTE = timedelta(hours=1), timedelta(minutes=1)
SUBJECTS = ("handling", "area", "jobs", "grid")     # what is counted: units, areas, center posts, grid workers


class Counts(Counter):
    """Counters by name (how many), with `minutes` of the timed ones (受理时长) and the working
    time suspended (挂起时长)."""

    def __init__(self, *args, **kwargs):
        self.minutes = []
        self.suspended = timedelta(0)
        super().__init__(*args, **kwargs)

    def update(self, other=None, **kwargs):
        """Add counts (and, from other Counts, the suspended time: a subtree's is its units' sum)."""
        super().update(other, **kwargs)
        if isinstance(other, Counts):
            self.suspended += other.suspended


@dataclass
class Collected:
    handling: dict = field(default_factory=lambda: defaultdict(Counts))   # unit -> its own handling
    area: dict = field(default_factory=lambda: defaultdict(Counts))       # community -> its cases
    jobs: dict = field(default_factory=lambda: defaultdict(Counts))       # username -> center post
    grid: dict = field(default_factory=lambda: defaultdict(Counts))       # username -> grid worker
    points: dict = field(default_factory=dict)                            # unit -> penalty points


def judged_at(period, now):
    """When "at the end" is: the period's end, or now while it has not ended."""
    return min(period.end, now)


def _within_limit(calendar, start, end, limit):
    # working time never exceeds the time on the clock: only the longer spans need the calendar
    return end - start <= limit or calendar.working_time_between(start, end) <= limit


def _supervisions(found, session, period, judged, calendar, limit):
    for unit, reached, answered in queries.supervisions(session, period, judged):
        counts = found.handling[unit]
        counts["supervised"] += 1
        if answered is not None:
            counts["replies"] += 1
            counts["replies_on_time"] += _within_limit(calendar, reached, answered, limit)
        if answered is not None or not _within_limit(calendar, reached, judged, limit):
            counts["replies_due"] += 1


def _suspensions(found, session, period, judged, calendar):
    for unit, stopped, resumed in queries.suspensions(session, period, judged):
        start, end = max(stopped, period.start), min(resumed or judged, judged, period.end)
        if unit is not None and end > start:
            found.handling[unit].suspended += calendar.working_time_between(start, end)


def collect(session, period, *, now, center, calendar, check_hours, reply_hours, progress=None,
            subjects=SUBJECTS):
    """Every counter of the period, counted by the database (`queries`), and the timed ones; only
    those of `subjects` (some of SUBJECTS: the others stay empty). `progress(total)` (optional)
    returns a function called with 1 after each of `total` queries."""
    judged = judged_at(period, now)
    found = Collected()
    families = [(found.handling, queries.handling(period, judged)), (found.area, queries.area(period, judged)),
                (found.jobs, queries.jobs(period, center)), (found.grid, queries.grid(period, judged))]
    families = [family for subject, family in zip(SUBJECTS, families) if subject in subjects]
    timed, handling = "jobs" in subjects or "grid" in subjects, "handling" in subjects
    advance = progress(sum(len(tallies) for _, tallies in families) + timed + handling + 1) if progress \
        else lambda n: None
    for target, tallies in families:
        for tally in tallies:
            for key, counted in tally.count(session).items():
                if key is not None:
                    target[key].update(counted)
            advance(1)
    limit = HOUR * check_hours
    for actor, step, reported_at, opened_at, done_at in (queries.timed_steps(session, period) if timed else ()):
        if step == "accept_report":
            found.jobs[actor].minutes.append(calendar.working_time_between(reported_at, done_at) / MINUTE)
            continue
        kind = "checks" if step == "check_result" else "verifications"
        found.grid[actor][kind] += 1
        if opened_at is not None and _within_limit(calendar, opened_at, done_at, limit):
            found.grid[actor][f"{kind}_on_time"] += 1
    if timed:
        advance(1)
    if handling:
        _supervisions(found, session, period, judged, calendar, HOUR * reply_hours)
        _suspensions(found, session, period, judged, calendar)
        advance(1)
        found.points = queries.points(session, period)
    advance(1)
    return found


# --- figures from counts --------------------------------------------------------------------------

def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def handling_figures(counts, points, weights, rules):
    """The handling indicators of one unit (or subtree) from its counts and its penalty points."""
    handled, on_time, overdue_open = counts["handled"], counts["on_time"], counts["overdue_open"]
    rework = counts["rework"]
    due = handled + overdue_open
    on_time_rate, handled_rate = _rate(on_time, due), _rate(handled, due)
    rework_rate = _rate(rework, handled + rework)
    composite = weights.composite(on_time / due if due else None, handled / due if due else None,
                                  rework / (handled + rework) if handled + rework else None)
    replies_due = counts["replies_due"]
    return dict(due=due, handled=handled, on_time=on_time, late=counts["late"], overdue_open=overdue_open,
                rework=rework, returned=counts["returned"], extension_requests=counts["extension_requests"],
                extensions_approved=counts["extensions_approved"],
                suspension_requests=counts["suspension_requests"], suspensions_approved=counts["suspensions_approved"],
                suspended_hours=round(counts.suspended / HOUR, 2),
                supervised=counts["supervised"], replies=counts["replies"], replies_on_time=counts["replies_on_time"], replies_due=replies_due,
                reply_rate=_rate(counts["replies_on_time"], replies_due), follow_ups=counts["follow_ups"],
                satisfied=counts["satisfied"], basically_satisfied=counts["basically_satisfied"],
                dissatisfied=counts["dissatisfied"],
                satisfaction_rate=_rate(counts["satisfied"] + counts["basically_satisfied"], counts["follow_ups"]),
                on_time_rate=on_time_rate,
                handled_rate=handled_rate, rework_rate=rework_rate, points=round(points, 2),
                score=round(weights.base - points, 2), composite=composite, grade=rules.grade(composite))


def area_figures(counts, weights, rules):
    """The area indicators of one area (a community, or a street or district with all its communities)."""
    closed, on_time, overdue_open = counts["closed"], counts["on_time_closed"], counts["overdue_open"]
    due = closed + overdue_open
    composite = weights.composite(on_time / due if due else None, closed / due if due else None)
    return dict(reported=counts["reported"], filed=counts["filed"], closed=closed, on_time_closed=on_time,
                overdue_open=overdue_open, due_close=due, close_rate=_rate(closed, due),
                on_time_close_rate=_rate(on_time, due), on_spot=counts["on_spot"], voided=counts["voided"],
                merged=counts["merged"], composite=composite, grade=rules.grade(composite))


def job_figures(counts):
    """A command-center post's indicators."""
    dispatched, returned = counts["dispatched"], counts["dispatch_returned"]
    minutes = counts.minutes
    return dict(accepted=counts["accepted"], filed=counts["filed"], voided=counts["voided"],
                merged=counts["merged"], verify_sent=counts["verify_sent"],
                average_accept_hours=round(sum(minutes) / len(minutes) / 60, 2) if minutes else None,
                dispatched=dispatched, dispatch_returned=returned,
                accurate_dispatch_rate=_rate(dispatched - returned, dispatched),
                extensions_decided=counts["extensions_decided"], extensions_approved=counts["extensions_approved"],
                extensions_refused=counts["extensions_refused"], supervised=counts["supervised"],
                closed=counts["closed"])


def grid_figures(counts):
    """A grid worker's indicators."""
    reported, checks, verifications = counts["reported"], counts["checks"], counts["verifications"]
    return dict(reported=reported, valid=counts["valid"], valid_rate=_rate(counts["valid"], reported),
                on_spot=counts["on_spot"], checks=checks, checks_on_time=counts["checks_on_time"],
                on_time_check_rate=_rate(counts["checks_on_time"], checks), verifications=verifications,
                verifications_on_time=counts["verifications_on_time"],
                on_time_verify_rate=_rate(counts["verifications_on_time"], verifications))
