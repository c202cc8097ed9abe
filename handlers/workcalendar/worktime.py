"""The mainland-China working-day calendar: statutory holidays, make-up days and office hours.

Owns the arithmetic every deadline stands on: which dates are working days (from the data files
under `calendar/`, one per year, never from workalendar's own tables, which stop at 2023), the
office periods of each date, and adding or measuring working time. A year without a data file is
answered on a provisional estimate and every answer that depends on it says so; it is never an
error and never passed off as official. All instants are timezone-aware; results are in the
office's timezone (Asia/Shanghai).
"""
from __future__ import annotations

import functools
import math
import numbers
import re
import threading
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from lunardate import LunarDate
from workalendar.asia import China

from .. import localtime

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
WEEKEND = (5, 6)  # Saturday, Sunday (date.weekday())
REASON_WORKDAY = "工作日"
REASON_WEEKEND = "周末"
REASON_MAKEUP = "调休"
# A count that needs more than this many calendar years is a bug upstream, not a deadline.
MAX_SPAN = timedelta(days=100 * 366)
# lunardate and the Qingming formula below are exact for these years only.
LUNAR_YEARS = range(1901, 2100)
EXTENSION = "citygrid.calendar"
_FOLLOWING = threading.Lock()


class CalendarDataError(ValueError):
    """A data file under calendar/ is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class DayInfo:
    """Whether a date is a working day, why (in Chinese, shown to users), and if that is an estimate."""

    working: bool
    reason: str
    provisional: bool


@dataclass(frozen=True)
class Deadline:
    """A due instant (aware, office timezone); provisional when it depends on a year without data."""

    at: datetime
    provisional: bool

    def __str__(self):
        return self.at.isoformat() + (" provisional" if self.provisional else "")


@dataclass(frozen=True)
class Notice:
    """The State Council notice a year's data was transcribed from."""

    title: str
    number: str
    date: date
    url: str = ""


@dataclass(frozen=True)
class HolidayBlock:
    """One holiday of a notice: its rest days and the weekend days worked in exchange (调休上班)."""

    name_zh: str
    name_en: str
    rest_days: tuple[date, ...]
    makeup_workdays: tuple[date, ...]


@dataclass(frozen=True)
class YearData:
    """The official arrangement of one year, as loaded from calendar/<year>.toml."""

    year: int
    notice: Notice
    holidays: tuple[HolidayBlock, ...]


Periods = tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class Season:
    """Office hours that apply from one month-day to another (inclusive, may wrap the new year)."""

    name: str
    first: tuple[int, int]
    last: tuple[int, int]
    periods: Periods

    def covers(self, day: date) -> bool:
        """True when `day` falls in this season (any year)."""
        md = (day.month, day.day)
        if self.first <= self.last:
            return self.first <= md <= self.last
        return md >= self.first or md <= self.last


@dataclass(frozen=True)
class OfficeHours:
    """The office clock: timezone, length of a working day, default periods and seasons."""

    timezone: ZoneInfo
    working_day: timedelta
    default_periods: Periods
    seasons: tuple[Season, ...] = ()

    def periods_on(self, day: date) -> Periods:
        """The (open, close) local times of `day`, whether or not it is a working day."""
        for season in self.seasons:
            if season.covers(day):
                return season.periods
        return self.default_periods


# --- loading the data files -------------------------------------------------------------------

def _require(table, key, kind, where):
    kinds = kind if isinstance(kind, tuple) else (kind,)
    value = table.get(key)
    # Exact types: bool is an int and datetime is a date, and both would slip through isinstance.
    if value is None or type(value) not in kinds:
        names = " or ".join(k.__name__ for k in kinds)
        raise CalendarDataError(f"{where}: '{key}' is missing or not a {names}")
    return value


def _no_unknown_keys(table, allowed, where):
    unknown = set(table) - set(allowed)
    if unknown:
        raise CalendarDataError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")


def _dates(values, where):
    if not isinstance(values, list) or any(type(v) is not date for v in values):
        raise CalendarDataError(f"{where}: expected a list of dates like [2026-01-04]")
    return tuple(values)


def _read_toml(path: Path):
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CalendarDataError(f"{path}: {exc}") from exc


def load_year(path) -> YearData:
    """Read and check one calendar/<year>.toml; raises CalendarDataError naming the problem."""
    path = Path(path)
    return parse_year(_read_toml(path), path, path.stem)


def parse_year(data: dict, path, stem=None) -> YearData:
    """Check the parsed TOML of a year file (`path` names it in messages; `stem`, the file name
    without .toml, must be its year when given); raises CalendarDataError naming the problem."""
    _no_unknown_keys(data, {"year", "notice", "holidays"}, path)
    year = _require(data, "year", int, path)
    if stem is not None and str(year) != stem:
        raise CalendarDataError(f"{path}: year = {year} does not match the file name")
    notice = _require(data, "notice", dict, path)
    where = f"{path} [notice]"
    _no_unknown_keys(notice, {"title", "number", "date", "url", "published_in"}, where)
    notice = Notice(
        title=_require(notice, "title", str, where),
        number=_require(notice, "number", str, where),
        date=_require(notice, "date", date, where),
        url=notice.get("url", ""),
    )
    blocks, seen = [], {}
    for i, item in enumerate(_require(data, "holidays", list, path), 1):
        where = f"{path} holiday #{i}"
        if not isinstance(item, dict):
            raise CalendarDataError(f"{where}: expected a [[holidays]] table")
        _no_unknown_keys(item, {"name_zh", "name_en", "first", "last", "days", "makeup_workdays",
                                "text", "note"}, where)
        if "days" in item and ("first" in item or "last" in item):
            raise CalendarDataError(f"{where}: give either 'days' or 'first'/'last', not both")
        if "days" in item:
            rest = _dates(item["days"], where)
        else:
            first = _require(item, "first", date, where)
            last = _require(item, "last", date, where)
            if not timedelta(0) <= last - first < timedelta(days=31):
                raise CalendarDataError(f"{where}: 'last' must be on or after 'first', within a month")
            rest = tuple(first + timedelta(days=k) for k in range((last - first).days + 1))
        makeup = _dates(item.get("makeup_workdays", []), where)
        for day in makeup:
            # 调休上班 always moves work onto a weekend day; anything else is a typo.
            if day.weekday() not in WEEKEND:
                raise CalendarDataError(f"{where}: make-up working day {day} is not a Saturday or Sunday")
        for day in rest + makeup:
            # A notice may spill into an adjacent year (a New Year block), never further.
            if abs(day.year - year) > 1:
                raise CalendarDataError(f"{where}: {day} is too far from {year}")
            if day in seen:
                raise CalendarDataError(f"{where}: {day} is already listed in {seen[day]}")
            seen[day] = where
        if not rest:
            raise CalendarDataError(f"{where}: no rest days")
        blocks.append(HolidayBlock(_require(item, "name_zh", str, where),
                                   _require(item, "name_en", str, where), rest, makeup))
    return YearData(year, notice, tuple(blocks))


_PERIOD = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def _periods(values, working_day, where) -> Periods:
    if not isinstance(values, list) or not values:
        raise CalendarDataError(f"{where}: expected a list like [\"08:00-12:00\", \"14:30-17:30\"]")
    periods, total = [], ZERO
    for value in values:
        match = _PERIOD.match(value) if isinstance(value, str) else None
        try:
            h1, m1, h2, m2 = map(int, match.groups())
            start, end = time(h1, m1), time(h2, m2)
        except (AttributeError, ValueError):
            raise CalendarDataError(f"{where}: bad period {value!r}, expected \"HH:MM-HH:MM\"") from None
        if end <= start or (periods and start < periods[-1][1]):
            raise CalendarDataError(f"{where}: periods must be in order and must not overlap")
        periods.append((start, end))
        total += datetime.combine(date.min, end) - datetime.combine(date.min, start)
    if total != working_day:
        raise CalendarDataError(f"{where}: periods add up to {total}, not working_day_hours ({working_day})")
    return tuple(periods)


def _month_day(value, where):
    match = _MONTH_DAY.match(value) if isinstance(value, str) else None
    try:
        date(2000, int(match[1]), int(match[2]))  # a leap year, so 02-29 is allowed
    except (TypeError, ValueError):
        raise CalendarDataError(f"{where}: bad month-day {value!r}, expected \"MM-DD\"") from None
    return int(match[1]), int(match[2])


def load_office_hours(path) -> OfficeHours:
    """Read and check calendar/office_hours.toml; raises CalendarDataError naming the problem."""
    path = Path(path)
    data = _read_toml(path)
    _no_unknown_keys(data, {"timezone", "working_day_hours", "default_periods", "seasons"}, path)
    try:
        tz = ZoneInfo(_require(data, "timezone", str, path))
    except (ValueError, LookupError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise CalendarDataError(f"{path}: unknown timezone ({exc})") from None
    if tz.key != localtime.ZONE_NAME:   # deadlines and their display must share one zone
        raise CalendarDataError(f"{path}: timezone must be {localtime.ZONE_NAME}, the zone every time is shown in")
    hours = _require(data, "working_day_hours", (int, float), path)
    if not 0 < hours <= 24:
        raise CalendarDataError(f"{path}: working_day_hours must be between 0 and 24")
    working_day = timedelta(hours=hours)
    seasons = []
    for i, item in enumerate(data.get("seasons", []), 1):
        where = f"{path} season #{i}"
        if not isinstance(item, dict):
            raise CalendarDataError(f"{where}: expected a [[seasons]] table")
        _no_unknown_keys(item, {"name", "name_zh", "from", "to", "periods"}, where)
        seasons.append(Season(_require(item, "name", str, where), _month_day(item.get("from"), where),
                              _month_day(item.get("to"), where),
                              _periods(item.get("periods"), working_day, where)))
    return OfficeHours(tz, working_day, _periods(data.get("default_periods"), working_day, path),
                       tuple(seasons))


# --- the provisional estimate -----------------------------------------------------------------

def qingming(year: int) -> date:
    """The Qingming solar term (清明) of a year in 1901-2099, by the standard day-of-month formula."""
    y = year % 100
    c = 5.59 if year < 2000 else 4.81
    return date(year, 4, int(y * 0.2422 + c) - y // 4)


def estimated_holidays(year: int) -> list[tuple[date, str]]:
    """The statutory rest days of a year without a notice, from 《全国年节及纪念日放假办法》 (2024).

    No make-up working days: those are only known from the notice. A statutory day on a weekend is
    given back on the next free weekday (article 6 of the same rules).
    """
    days = [(date(year, 1, 1), "元旦"), (date(year, 5, 1), "劳动节"), (date(year, 5, 2), "劳动节")]
    days += [(date(year, 10, d), "国庆节") for d in (1, 2, 3)]
    if year in LUNAR_YEARS:
        new_year = LunarDate(year, 1, 1).to_solar_date()
        days += [(new_year + timedelta(days=k), "春节") for k in range(-1, 3)]  # 除夕 to 初三
        days += [(qingming(year), "清明节"),
                 (LunarDate(year, 5, 5).to_solar_date(), "端午节"),
                 (LunarDate(year, 8, 15).to_solar_date(), "中秋节")]
    taken = {day for day, _ in days}
    for day, name in sorted(days):
        if day.weekday() in WEEKEND:
            sub = day + ONE_DAY
            while sub.weekday() in WEEKEND or sub in taken:
                sub += ONE_DAY
            taken.add(sub)
            days.append((sub, f"{name}（补休）"))
    return days


class StatutoryChina(China):
    """workalendar's China fed only from our data files, and estimated for years without one."""

    def __init__(self, years=()):
        super().__init__()
        years = tuple(years)
        self.official_years = {data.year: data for data in years}
        self.rest_days, self.makeup_days = {}, {}
        for data in years:
            for block in data.holidays:
                for day in block.rest_days:
                    self._add(self.rest_days, day, block.name_zh, data.year)
                for day in block.makeup_workdays:
                    self._add(self.makeup_days, day, block.name_zh, data.year)
        # Replaces (not extends) the stock 2018-2023 list that China.__init__ just loaded.
        self.extra_working_days = sorted(self.makeup_days)
        self._labels = {}

    def _add(self, table, day, name, year):
        if day in self.rest_days or day in self.makeup_days:
            raise CalendarDataError(f"{day} is listed twice (again in calendar/{year}.toml)")
        table[day] = name

    def is_official(self, day: date) -> bool:
        """True when the day's status comes from a notice (its year has a file, or a file lists it)."""
        return day.year in self.official_years or day in self.rest_days or day in self.makeup_days

    def get_calendar_holidays(self, year):
        # Never China's own: it warns, and raises or guesses wrongly outside 2018-2023.
        days = [(day, name) for day, name in self.rest_days.items() if day.year == year]
        if year not in self.official_years:
            days += [(day, name) for day, name in estimated_holidays(year)
                     if day not in self.rest_days and day not in self.makeup_days]
        return days

    def holiday_label(self, day: date) -> str | None:
        """The Chinese name of the holiday that makes `day` a rest day, if any."""
        if day.year not in self._labels:
            labels = {}
            for holiday, name in self.holidays(day.year):
                labels.setdefault(holiday, name)
            self._labels[day.year] = labels
        return self._labels[day.year].get(day)


# --- the arithmetic ---------------------------------------------------------------------------

def _amount(value, unit: timedelta, what: str) -> timedelta:
    """`value` units as a timedelta (exact, rounded to the microsecond); value >= 0 and finite."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number >= 0, not {value}")
    return timedelta(microseconds=round(Fraction(value) * (unit // timedelta(microseconds=1))))


_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"^P(?!$)(?:(?P<Y>{_NUMBER})Y)?(?:(?P<MO>{_NUMBER})M)?(?:(?P<W>{_NUMBER})W)?(?:(?P<D>{_NUMBER})D)?"
    rf"(?:T(?=.)(?:(?P<H>{_NUMBER})H)?(?:(?P<MI>{_NUMBER})M)?(?:(?P<S>{_NUMBER})S)?)?$")


def parse_duration(iso: str, working_day: timedelta = timedelta(hours=7)) -> timedelta:
    """The working time an ISO-8601 duration stands for: P1D = one working day, PT1H = one hour.

    P1W is five working days. Years and months have no length in working time: ValueError.
    """
    match = _DURATION.match(iso.strip().upper()) if isinstance(iso, str) else None
    if not match:
        raise ValueError(f"not an ISO-8601 duration: {iso!r} (e.g. P1D, PT3H, P2DT1H)")
    if match["Y"] or match["MO"]:
        raise ValueError(f"{iso!r}: years and months have no length in working time; use days or hours")
    units = {"W": 5 * working_day, "D": working_day, "H": timedelta(hours=1),
             "MI": timedelta(minutes=1), "S": timedelta(seconds=1)}
    total = ZERO
    for key, unit in units.items():
        if match[key]:
            total += _amount(Decimal(match[key].replace(",", ".")), unit, iso)
    return total


class WorkCalendar:
    """Working days and office hours: classify dates, add and measure working time."""

    def __init__(self, years, office_hours: OfficeHours):
        """`years`: YearData of every year with a data file; `office_hours`: the office clock."""
        self.statutory = StatutoryChina(years)
        self.office_hours = office_hours
        self.tz = office_hours.timezone
        self.working_day = office_hours.working_day
        # Per-instance caches (rebuilt by reload(), so they never go stale).
        self._day = functools.lru_cache(maxsize=16384)(self._compute_day)
        self._periods = functools.lru_cache(maxsize=16384)(self._compute_periods)

    @classmethod
    def from_dir(cls, path) -> WorkCalendar:
        """Load calendar/<year>.toml files and office_hours.toml; raises CalendarDataError."""
        root = Path(path)
        if not root.is_dir():
            raise FileNotFoundError(f"calendar data directory not found: {root}")
        years = [load_year(p) for p in sorted(root.glob("[0-9][0-9][0-9][0-9].toml"))]
        calendar = cls(years, load_office_hours(root / "office_hours.toml"))
        calendar.source = root
        return calendar

    def without_years(self, years) -> WorkCalendar:
        """This calendar as it was before the data of `years` was loaded (replays of old cases)."""
        kept = [data for year, data in self.statutory.official_years.items() if year not in set(years)]
        return WorkCalendar(kept, self.office_hours)

    def reload(self):
        """Re-read the data folder in place, so every holder of this calendar sees a new year's file."""
        fresh = WorkCalendar.from_dir(self.source)
        self.__init__(list(fresh.statutory.official_years.values()), fresh.office_hours)
        self.source = fresh.source

    _stamp = None     # the `calendar` stamp (engine.stamps) this copy was read under; kept across reloads

    def follow(self, stamp):
        """Re-read the data folder unless this copy was read under `stamp` (the `calendar` stamp a
        request read): a year loaded through another process is seen by this one at its next request.
        The first request of a process reads the folder once more (a few small files)."""
        if stamp == self._stamp or getattr(self, "source", None) is None:
            return
        with _FOLLOWING:
            if stamp != self._stamp:
                self.reload()
                self._stamp = stamp

    # --- dates ---

    def official_years(self) -> list[int]:
        """The years that have a data file, ascending."""
        return sorted(self.statutory.official_years)

    def year_data(self, year: int) -> YearData | None:
        """The official arrangement of `year`, or None when it has no data file."""
        return self.statutory.official_years.get(year)

    def local(self, t: datetime) -> datetime:
        """`t` in the office timezone; raises ValueError for a naive datetime."""
        if not isinstance(t, datetime):
            raise TypeError(f"expected a datetime, not {type(t).__name__}")
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"naive datetime {t.isoformat()}: give a timezone (e.g. +08:00)")
        return t.astimezone(self.tz)

    def _date(self, day) -> date:
        if isinstance(day, datetime):
            return self.local(day).date()
        if not isinstance(day, date):
            raise TypeError(f"expected a date, not {type(day).__name__}")
        return day

    def day(self, day: date | datetime) -> DayInfo:
        """Is this date (or the office date of an aware instant) a working day, and why."""
        return self._day(self._date(day))

    def _compute_day(self, day: date) -> DayInfo:
        provisional = not self.statutory.is_official(day)
        if self.statutory.is_working_day(day):
            reason = REASON_MAKEUP if day in self.statutory.makeup_days else REASON_WORKDAY
            return DayInfo(True, reason, provisional)
        return DayInfo(False, self.statutory.holiday_label(day) or REASON_WEEKEND, provisional)

    def is_working_day(self, day: date | datetime) -> bool:
        """Shortcut for day(day).working."""
        return self.day(day).working

    def _compute_periods(self, day: date):
        if not self._day(day).working:
            return ()
        return tuple((datetime.combine(day, start, self.tz), datetime.combine(day, end, self.tz))
                     for start, end in self.office_hours.periods_on(day))

    # --- instants ---
    # Arithmetic on aware datetimes sharing one tzinfo is wall-clock arithmetic, which equals
    # elapsed time here because Asia/Shanghai has had no daylight saving since 1991.

    def _walk(self, t: datetime):
        """Yield (date, periods) from t's office date on, with a bound against runaway counts."""
        day, limit = t.date(), t.date() + MAX_SPAN
        while day <= limit:
            yield day, self._periods(day)
            day += ONE_DAY
        raise ValueError("working-time count spans more than 100 years")

    def next_opening(self, t: datetime) -> datetime:
        """The earliest instant >= t at which the office is open (t itself when it is open)."""
        t = self.local(t)
        for _, periods in self._walk(t):
            for start, end in periods:
                if end > t:
                    return max(start, t)

    def add_working_time(self, start: datetime, amount: timedelta) -> Deadline:
        """The earliest instant at which the office time elapsed since `start` reaches `amount`."""
        t = self.local(start)
        if amount < ZERO:
            raise ValueError(f"working time must not be negative: {amount}")
        if amount == ZERO:
            return Deadline(t, False)
        remaining, provisional = amount, False
        for day, periods in self._walk(t):
            provisional = provisional or self._day(day).provisional
            for open_, close in periods:
                if close <= t:
                    continue
                open_ = max(open_, t)
                # `<=`: a count used up exactly at closing time is due at that closing time.
                if remaining <= close - open_:
                    return Deadline(open_ + remaining, provisional)
                remaining -= close - open_

    def add_working_days(self, start: datetime, n) -> Deadline:
        """`n` working days (n x working_day_hours of office time) from `start`; n >= 0."""
        return self.add_working_time(start, _amount(n, self.working_day, "working days"))

    def add_working_hours(self, start: datetime, hours) -> Deadline:
        """`hours` hours of office time from `start`; hours >= 0."""
        return self.add_working_time(start, _amount(hours, timedelta(hours=1), "working hours"))

    def parse_duration(self, iso: str) -> timedelta:
        """The working time of an ISO-8601 duration on this calendar (P1D = one working day)."""
        return parse_duration(iso, self.working_day)

    def add_duration(self, start: datetime, iso: str) -> Deadline:
        """An ISO-8601 duration counted in working time (the engine's business calendar)."""
        return self.add_working_time(start, self.parse_duration(iso))

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time elapsed from a to b (negative when b is before a)."""
        a, b = self.local(a), self.local(b)
        if b < a:
            return -self.working_time_between(b, a)
        total, day = ZERO, a.date()
        while day <= b.date():
            for open_, close in self._periods(day):
                overlap = min(close, b) - max(open_, a)
                if overlap > ZERO:
                    total += overlap
            day += ONE_DAY
        return total

    def touches_provisional(self, a: datetime, b: datetime) -> bool:
        """True when any office date from a to b (either order) is only estimated."""
        a, b = sorted((self.local(a), self.local(b)))
        day = a.date()
        while day <= b.date():
            if self._day(day).provisional:
                return True
            day += ONE_DAY
        return False


# --- the app's calendar -----------------------------------------------------------------------

def get_calendar(app=None, *, reload: bool = False) -> WorkCalendar:
    """The app's calendar, loaded once from CITYGRID_CALENDAR_DIR; reload=True re-reads the files."""
    app = app or current_app
    calendar = app.extensions.get(EXTENSION)
    if calendar is not None and reload:
        calendar.reload()
    if calendar is None:
        path = Path(app.config["CITYGRID_CALENDAR_DIR"])
        if not path.is_absolute():
            path = Path(app.root_path) / path
        calendar = app.extensions[EXTENSION] = WorkCalendar.from_dir(path)
    return calendar
