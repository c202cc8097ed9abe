"""The functions diagram expressions and scripts may call, registered by name with the engine,
and the engine's business calendar (timer durations counted in office time).

Instants cross the diagram boundary as ISO 8601 strings with the +08:00 offset, so that task data
stays plain JSON and reads naturally in the modeller and the audit pages.
"""
import threading
from contextlib import contextmanager
from datetime import datetime

from .. import localtime
from ..cases import deadlines


class CalendarRef:
    """The calendar the script functions and timers use: the app's, or (in a replay, on this thread
    only) the calendar as it was known when the replayed event happened."""

    def __init__(self, calendar):
        self.calendar = calendar
        self._local = threading.local()
        self._past = {}

    def get(self):
        return getattr(self._local, "override", None) or self.calendar

    def __getattr__(self, name):
        return getattr(self.get(), name)

    @contextmanager
    def without_years(self, years):
        """Within the block, this thread sees the calendar without the data of `years`."""
        years = frozenset(years)
        if not years:
            yield
            return
        # Keyed by the loaded data too: after a reload the same years give another past calendar.
        key = (years, id(self.calendar.statutory))
        if key not in self._past:
            if len(self._past) > 16:   # entries of data loaded before a reload
                self._past.clear()
            self._past[key] = self.calendar.without_years(years)
        self._local.override = self._past[key]
        try:
            yield
        finally:
            self._local.override = None

    def replay_context(self, later_events):
        """Engine hook: hide the calendar years whose data arrived after the event being replayed."""
        return self.without_years(e.data["context"]["calendar_year"] for e in later_events
                                  if "calendar_year" in (e.data.get("context") or {}))


def build(*, calendar, directory):
    """The registry of script functions, bound to the app's calendar and org tree.
    (`now()` comes from the engine: the instant of the unit of work.)"""

    def _instant(value):
        dt = datetime.fromisoformat(value) if isinstance(value, str) else value
        if dt.tzinfo is None:
            raise ValueError(f"instant {value!r} has no UTC offset")
        return dt

    def add_working_days(start, n):
        """`start` plus n working days (n x 7 office hours) on the statutory calendar."""
        return calendar.add_working_days(_instant(start), n).at.isoformat()

    def add_working_hours(start, hours):
        """`start` plus `hours` office hours."""
        return calendar.add_working_hours(_instant(start), hours).at.isoformat()

    def calendar_provisional(start, end):
        """True when the span touches a year without official calendar data."""
        return calendar.touches_provisional(_instant(start), _instant(end))

    def case_deadline(filed_at, time_limit, warning_share, time_limit_hours=0):
        """[due_at, warn_at, provisional] of a case filed at `filed_at` with a limit of `time_limit`
        working days and `time_limit_hours` working hours, the warning `warning_share` of the way
        (cases.deadlines.compute)."""
        found = deadlines.compute(calendar, _instant(filed_at), time_limit, warning_share, time_limit_hours)
        return [localtime.isoformat(found.due_at), localtime.isoformat(found.warn_at), found.provisional]

    def is_center(unit):
        return directory.kind(unit) == "center"

    def role_of(unit):
        """Who acts for a unit: the center's dispatcher, a grid's grid worker (a 督办 at the check),
        else an officer."""
        return "dispatcher" if is_center(unit) else "grid" if directory.kind(unit) == "grid" else "officer"

    def parent_unit(unit):
        return directory.parent(unit)

    return {f.__name__: f for f in (add_working_days, add_working_hours, calendar_provisional, case_deadline,
                                    is_center, role_of, parent_unit)}


class BusinessCalendar:
    """The engine's business calendar: timer durations and cycles counted in office time."""

    def __init__(self, calendar):
        self.calendar = calendar

    def add_duration(self, start, iso):
        return self.calendar.add_duration(start, iso).at

    def is_provisional(self, instant):
        return self.calendar.day(instant).provisional

    def local(self, instant):
        return self.calendar.local(instant)
