"""`flask --app app calendar ...`: the working-day calendar for admins, on the command line, and
`calendar recompute YEAR` once a year's official data has been added.

The click commands are thin wrappers over plain functions that return the lines to print; the
last line of `deadline` and `day` is the machine-readable answer.
"""
from __future__ import annotations

from datetime import date, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from tqdm import tqdm

from .. import commands
from . import years
from .worktime import ONE_DAY, WorkCalendar, get_calendar

WEEKDAYS_ZH = "一二三四五六日"

calendar_cli = AppGroup("calendar", help="Working-day calendar: deadlines, days, official years.")


def init_app(app):
    """Register the `calendar` command group."""
    app.cli.add_command(calendar_cli)


# --- plain functions --------------------------------------------------------------------------

def parse_instant(text: str, tz) -> datetime:
    """An ISO-8601 date or date-time; naive means the office timezone. Raises ValueError."""
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO-8601 date-time: {text!r} (e.g. 2026-03-02T16:05)") from None
    return t.replace(tzinfo=tz) if t.tzinfo is None else t.astimezone(tz)


def parse_date(text: str) -> date:
    """An ISO-8601 calendar date. Raises ValueError."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO-8601 date: {text!r} (e.g. 2026-10-01)") from None


def _describe(cal: WorkCalendar, day: date) -> str:
    info = cal.day(day)
    return f"{day.isoformat()} 星期{WEEKDAYS_ZH[day.weekday()]} {'working' if info.working else 'rest'} {info.reason}"


def _rest_runs(cal: WorkCalendar, first: date, last: date) -> list[str]:
    """Rest days from first to last, consecutive days with one reason joined into a range."""
    runs, day = [], first
    while day <= last:
        info = cal.day(day)
        if not info.working:
            if runs and runs[-1][2] == info.reason and runs[-1][1] + ONE_DAY == day:
                runs[-1][1] = day
            else:
                runs.append([day, day, info.reason])
        day += ONE_DAY
    return [f"{a}" + (f"..{b}" if b != a else "") + f" {reason}" for a, b, reason in runs]


def _missing_note(cal: WorkCalendar, first: date, last: date) -> str | None:
    years = sorted({y for y in range(first.year, last.year + 1) if cal.year_data(y) is None})
    if years:
        return f"no official data for {', '.join(map(str, years))}: counted on the provisional calendar"
    return None


def deadline_lines(cal: WorkCalendar, start: datetime, *, working_days=None, working_hours=None) -> list[str]:
    """Explain and compute a deadline; the last line is the due instant (+ ' provisional')."""
    if (working_days is None) == (working_hours is None):
        raise ValueError("give exactly one of working days or working hours")
    if working_days is not None:
        due = cal.add_working_days(start, working_days)
        what = f"{working_days:g} working day(s) x {cal.working_day}"
    else:
        due = cal.add_working_hours(start, working_hours)
        what = f"{working_hours:g} working hour(s)"
    start = cal.local(start)
    lines = [f"start: {start.isoformat()} ({_describe(cal, start.date())})", f"count: {what}"]
    if due.at > start:
        opening = cal.next_opening(start)
        if opening != start:
            lines.append(f"closed at the start: counting begins at {opening.isoformat()}")
        skipped = _rest_runs(cal, start.date() + ONE_DAY, due.at.date() - ONE_DAY)
        if skipped:
            lines.append("rest days skipped: " + "; ".join(skipped))
        if due.provisional:
            lines.append(_missing_note(cal, start.date(), due.at.date()) or "provisional")
    lines.append(str(due))
    return lines


def day_lines(cal: WorkCalendar, day: date) -> list[str]:
    """Explain a date; the last line is `working|rest REASON` (+ ' provisional')."""
    info = cal.day(day)
    lines = [f"{day.isoformat()} 星期{WEEKDAYS_ZH[day.weekday()]}"]
    data = cal.year_data(day.year)
    if data is not None:
        lines.append(f"source: {data.notice.title} {data.notice.number} ({data.notice.date})")
        for block in data.holidays:
            if day in block.makeup_workdays:
                lines.append(f"调休上班 for {block.name_zh} ({block.name_en})")
    elif info.provisional:
        lines.append(f"no official data for {day.year} yet: estimated from the statutory holidays, "
                     f"no make-up days known")
    last = f"{'working' if info.working else 'rest'} {info.reason}"
    lines.append(last + (" provisional" if info.provisional else ""))
    return lines


def years_lines(cal: WorkCalendar, today: date) -> list[str]:
    """The years with official data and, prominently, the nearby years that have none."""
    years = cal.official_years()
    lines = [f"official: {' '.join(map(str, years)) or '(none)'}"]
    for year in years:
        notice = cal.year_data(year).notice
        lines.append(f"  {year}: {notice.title} {notice.number} ({notice.date})")
    # Nearby = from the first official year (or this year) through next year.
    span = range(min(years + [today.year]), max(years + [today.year + 1]) + 1)
    missing = [y for y in span if y not in years]
    if missing:
        notes = {today.year: " (this year!)", today.year + 1: " (next year)"}
        lines.append("missing: " + ", ".join(f"{y}{notes.get(y, '')}" for y in missing)
                     + " -- deadlines there are provisional until calendar/<year>.toml is added")
    else:
        lines.append("missing: none")
    return lines


# --- click wrappers ---------------------------------------------------------------------------

def _count(ctx, param, value):
    """Parse a count here so that '-1', 'nan' and 'abc' all end as a one-line usage error."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number") from None
    if not number >= 0 or number == float("inf"):
        raise click.BadParameter(f"{value!r} must be a finite number >= 0")
    return number


@calendar_cli.command("deadline")
@click.argument("start")
@click.option("--working-days", "working_days", metavar="N", callback=_count,
              help="Working days (of 7 office hours each); may be fractional.")
@click.option("--working-hours", "working_hours", metavar="H", callback=_count,
              help="Working hours of office time; may be fractional.")
def deadline_command(start, working_days, working_hours):
    """Due instant of N working days or H working hours from START (ISO 8601; naive = +08:00)."""
    if (working_days is None) == (working_hours is None):
        raise click.UsageError("give exactly one of --working-days or --working-hours")
    cal = get_calendar()
    try:
        t = parse_instant(start, cal.tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="START") from None
    try:
        lines = deadline_lines(cal, t, working_days=working_days, working_hours=working_hours)
    except ValueError as exc:  # e.g. a count that runs past the calendar's range
        raise click.UsageError(str(exc)) from None
    for line in lines:
        click.echo(line)


@calendar_cli.command("day")
@click.argument("day")
def day_command(day):
    """Is DAY (ISO 8601 date) a working day, and why."""
    try:
        parsed = parse_date(day)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="DAY") from None
    for line in day_lines(get_calendar(), parsed):
        click.echo(line)


@calendar_cli.command("years")
@click.option("--today", metavar="DATE", help="Date to judge 'this year' and 'next year' by (default: today).")
def years_command(today):
    """Which years have official holiday data, and which nearby years are missing."""
    cal = get_calendar()
    if today is None:
        today = cal.local(commands.read(lambda session, runtime: runtime.clock.now())).date()
    else:
        try:
            today = parse_date(today)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--today") from None
    for line in years_lines(cal, today):
        click.echo(line)


@calendar_cli.command("recompute")
@click.argument("year", type=int)
def recompute_command(year):
    """After adding calendar/YEAR.toml: recompute the provisional deadlines of YEAR."""
    calendar = get_calendar(current_app, reload=True)
    if year not in calendar.official_years():
        raise click.ClickException(f"calendar/{year}.toml is missing: no official data for {year} yet")
    with tqdm(desc="recomputing", unit="case", disable=None, leave=False) as bar:
        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)
        rows = commands.run(lambda session, runtime: years.recompute(session, runtime, calendar, year, actor="cli",
                                                                     progress=progress))
    for case_no, old, new, provisional in rows:
        click.echo(f"{case_no}: {old} -> {new}{' provisional' if provisional else ''}")
    click.echo(f"{len(rows)} deadlines recomputed")
