"""Tests of handlers/workcalendar/worktime.py and its CLI (handlers/workcalendar/cli.py)."""
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
import pytest
from hypothesis import given, settings, strategies as st
from workalendar.asia import China

from handlers.workcalendar.worktime import (
    CalendarDataError, DayInfo, Deadline, WorkCalendar, estimated_holidays, get_calendar,
    parse_duration, qingming,
)
from handlers.workcalendar.cli import deadline_lines, years_lines

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "calendar"
SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
DAY = 7 * H


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar.from_dir(DATA)


# --- the seed's own case ----------------------------------------------------------------------

@pytest.mark.parametrize("start, due", [
    (at(2026, 3, 2, 16, 5), at(2026, 3, 3, 16, 5)),   # winter, Monday -> Tuesday
    (at(2026, 7, 1, 16, 5), at(2026, 7, 2, 16, 5)),   # summer
    (at(2026, 3, 6, 16, 5), at(2026, 3, 9, 16, 5)),   # Friday -> Monday
])
def test_a_case_filed_at_1605_is_due_at_1605_next_working_day(cal, start, due):
    assert cal.add_working_days(start, 1) == Deadline(due, False)


# --- the 2026 data: every holiday block and every make-up day ---------------------------------

HOLIDAYS_2026 = [
    ("元旦", date(2026, 1, 1), date(2026, 1, 3)),
    ("春节", date(2026, 2, 15), date(2026, 2, 23)),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6)),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5)),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21)),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27)),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7)),
]
MAKEUP_2026 = [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
               date(2026, 9, 20), date(2026, 10, 10)]


@pytest.mark.parametrize("name, first, last", HOLIDAYS_2026)
def test_every_2026_holiday_block(cal, name, first, last):
    day = first
    while day <= last:
        assert cal.day(day) == DayInfo(False, name, False), day
        day += timedelta(days=1)
    # The days around a block are ordinary (or make-up) days, not part of it.
    assert cal.day(first - timedelta(days=1)).reason != name
    assert cal.day(last + timedelta(days=1)).reason != name


@pytest.mark.parametrize("day", MAKEUP_2026)
def test_every_2026_makeup_day_is_a_working_day(cal, day):
    assert day.weekday() >= 5
    assert cal.day(day) == DayInfo(True, "调休", False)


def test_ordinary_days(cal):
    assert cal.day(date(2026, 3, 7)) == DayInfo(False, "周末", False)
    assert cal.day(date(2026, 3, 2)) == DayInfo(True, "工作日", False)
    assert cal.is_working_day(date(2026, 10, 8))
    # An aware instant is judged by its office (Shanghai) date.
    assert cal.day(datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc)).reason == "国庆节"


def test_stock_workalendar_is_wrong_where_we_are_right(cal):
    # Why the subclass exists: the stock class calls a 2026 make-up Saturday a rest day.
    assert not China().is_working_day(date(2026, 2, 14))
    assert cal.day(date(2026, 2, 14)).working
    assert not cal.statutory.is_working_day(date(2026, 10, 1))


def test_official_years(cal):
    assert cal.official_years() == [2024, 2025, 2026]
    assert cal.year_data(2026).notice.date == date(2025, 11, 4)
    assert cal.year_data(2027) is None


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_day_agrees_with_chinese_calendar_and_holidays(cal, year):
    # Cross-checks only: neither package is ever consulted at run time.
    other = holidays.China(years=year)
    day, mismatches = date(year, 1, 1), []
    while day.year == year:
        info = cal.day(day)
        by_holidays = day in other.weekend_workdays or (day.weekday() < 5 and day not in other)
        if info.provisional or not info.working == chinese_calendar.is_workday(day) == by_holidays:
            mismatches.append(day)
        day += timedelta(days=1)
    assert mismatches == []


# --- office hours: seasons and lunch breaks ---------------------------------------------------

@pytest.mark.parametrize("start, hours, due", [
    (at(2026, 3, 2, 11, 30), 1, at(2026, 3, 2, 15, 0)),    # winter lunch 12:00-14:30
    (at(2026, 7, 1, 11, 30), 1, at(2026, 7, 1, 15, 30)),   # summer lunch 12:00-15:00
    (at(2026, 3, 2, 12, 30), 1, at(2026, 3, 2, 15, 30)),   # started in the lunch break
    (at(2026, 7, 1, 14, 59), 1, at(2026, 7, 1, 16, 0)),
    (at(2026, 3, 2, 17, 0), 1, at(2026, 3, 3, 8, 30)),
    (at(2026, 7, 1, 17, 30), 1, at(2026, 7, 2, 8, 30)),    # 17:30 is still open in summer
])
def test_working_hours_skip_lunch_and_nights(cal, start, hours, due):
    assert cal.add_working_hours(start, hours) == Deadline(due, False)


def test_count_crossing_from_summer_into_october(cal):
    # Sep 30 16:05-18:00 (summer) is 1h55; then Oct 1-7 are 国庆节; Oct 8 is winter: 4h + 1h05.
    assert cal.add_working_days(at(2026, 9, 30, 16, 5), 1).at == at(2026, 10, 8, 15, 35)
    assert cal.add_working_days(at(2026, 9, 30, 16, 5), 3).at == at(2026, 10, 10, 15, 35)  # 调休 Sat


def test_count_crossing_from_may_into_summer(cal):
    # Fri May 29 16:05-17:30 (winter) is 1h25; Mon Jun 1 is summer: 4h + 1h35 from 15:00.
    assert cal.add_working_days(at(2026, 5, 29, 16, 5), 1).at == at(2026, 6, 1, 16, 35)
    assert cal.add_working_hours(at(2026, 5, 29, 17, 0), 1).at == at(2026, 6, 1, 8, 30)


# --- starts outside office hours and the closing-time rule ------------------------------------

@pytest.mark.parametrize("start, due", [
    (at(2026, 10, 1, 10, 0), at(2026, 10, 8, 17, 30)),    # a holiday: next working day's closing
    (at(2026, 6, 19, 10, 0), at(2026, 6, 22, 18, 0)),     # a summer holiday: 18:00
    (at(2026, 2, 15, 9, 0), at(2026, 2, 24, 17, 30)),     # 春节
    (at(2026, 3, 2, 20, 0), at(2026, 3, 3, 17, 30)),      # an evening
    (at(2026, 3, 3, 7, 0), at(2026, 3, 3, 17, 30)),       # before opening
    (at(2026, 3, 7, 10, 0), at(2026, 3, 9, 17, 30)),      # a weekend
    (at(2026, 3, 2, 12, 0), at(2026, 3, 3, 12, 0)),       # at the start of the lunch break
    (at(2026, 3, 2, 8, 0), at(2026, 3, 2, 17, 30)),       # used up exactly at closing: due then
])
def test_one_working_day_from_outside_office_hours(cal, start, due):
    assert cal.add_working_days(start, 1) == Deadline(due, False)


def test_closing_time_rule_for_hours(cal):
    assert cal.add_working_hours(at(2026, 3, 2, 8, 0), 4).at == at(2026, 3, 2, 12, 0)
    assert cal.add_working_hours(at(2026, 3, 2, 16, 30), 1).at == at(2026, 3, 2, 17, 30)


def test_makeup_saturday_is_counted(cal):
    # 2026-02-14 (Sat) is worked: 6h that day, then Feb 15-23 are 春节, then 1h on Feb 24.
    assert cal.add_working_days(at(2026, 2, 14, 9, 0), 1).at == at(2026, 2, 24, 9, 0)


def test_zero_returns_the_start_itself(cal):
    for start in (at(2026, 10, 1, 23, 0), at(2026, 3, 2, 16, 5), at(2027, 1, 1, 3, 0)):
        assert cal.add_working_days(start, 0) == Deadline(start, False)
        assert cal.add_working_hours(start, 0.0) == Deadline(start, False)


def test_results_are_aware_in_shanghai(cal):
    start = datetime(2026, 3, 2, 8, 5, tzinfo=timezone.utc)  # 16:05 in Shanghai
    due = cal.add_working_days(start, 1).at
    assert due == at(2026, 3, 3, 16, 5)
    assert due.utcoffset() == timedelta(hours=8)
    assert due.isoformat() == "2026-03-03T16:05:00+08:00"


def test_fractional_counts(cal):
    # 0.8 x 1 working day (the warning point of an A case) is 5h36 of office time.
    assert cal.add_working_days(at(2026, 3, 2, 8, 0), 0.8).at == at(2026, 3, 2, 16, 6)
    assert cal.add_working_hours(at(2026, 3, 2, 8, 0), 1.5).at == at(2026, 3, 2, 9, 30)


@pytest.mark.parametrize("bad", [-1, -0.5, float("nan"), float("inf")])
def test_bad_counts_are_value_errors(cal, bad):
    with pytest.raises(ValueError):
        cal.add_working_days(at(2026, 3, 2), bad)
    with pytest.raises(ValueError):
        cal.add_working_hours(at(2026, 3, 2), bad)


def test_naive_input_is_an_error(cal):
    naive = datetime(2026, 3, 2, 16, 5)
    for call in (lambda: cal.add_working_days(naive, 1), lambda: cal.add_working_hours(naive, 1),
                 lambda: cal.next_opening(naive), lambda: cal.working_time_between(naive, naive),
                 lambda: cal.add_duration(naive, "P1D"), lambda: cal.day(naive)):
        with pytest.raises(ValueError, match="naive"):
            call()
    with pytest.raises(TypeError):
        cal.add_working_days(at(2026, 3, 2), True)


# --- years without data: the provisional calendar ---------------------------------------------

def test_count_into_2027_is_provisional(cal):
    due = cal.add_working_days(at(2026, 12, 31, 16, 5), 1)
    # 2027-01-01 (Fri) is estimated as 元旦, then the weekend.
    assert due == Deadline(at(2027, 1, 4, 16, 5), True)
    assert str(due) == "2027-01-04T16:05:00+08:00 provisional"


def test_count_ending_on_the_last_day_of_2026_is_not_provisional(cal):
    assert cal.add_working_days(at(2026, 12, 31, 8, 0), 1) == Deadline(at(2026, 12, 31, 17, 30), False)
    assert not cal.add_working_days(at(2026, 1, 5, 9, 0), 200).provisional


def test_days_of_2027_are_estimated_and_flagged(cal):
    assert cal.day(date(2027, 1, 1)) == DayInfo(False, "元旦", True)
    assert cal.day(date(2027, 2, 5)) == DayInfo(False, "春节", True)       # 除夕 (lunar)
    assert cal.day(date(2027, 6, 9)) == DayInfo(False, "端午节", True)     # lunar 5/5
    assert cal.day(date(2027, 9, 15)) == DayInfo(False, "中秋节", True)    # lunar 8/15
    assert cal.day(date(2027, 10, 4)) == DayInfo(False, "国庆节（补休）", True)  # Oct 3 is a Sunday
    assert cal.day(date(2027, 1, 4)) == DayInfo(True, "工作日", True)
    assert cal.day(date(2027, 1, 9)) == DayInfo(False, "周末", True)
    assert cal.touches_provisional(at(2026, 12, 30), at(2027, 1, 2))
    assert not cal.touches_provisional(at(2026, 1, 1), at(2026, 12, 31, 23, 59))


def test_estimate_uses_qingming_and_lunar_dates():
    for year in range(1901, 2100):
        term = next(d for d, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
                    if name.startswith("清明"))
        assert qingming(year) == term
    # No make-up days are ever invented; years beyond the lunar tables still answer.
    assert all(d.weekday() < 5 or "补休" not in n for d, n in estimated_holidays(2027))
    assert {n.removesuffix("（补休）") for _, n in estimated_holidays(2150)} == {"元旦", "劳动节", "国庆节"}


# --- measuring working time -------------------------------------------------------------------

def test_working_time_between(cal):
    assert cal.working_time_between(at(2026, 3, 2, 0, 0), at(2026, 3, 3, 0, 0)) == DAY
    assert cal.working_time_between(at(2026, 3, 2, 11, 0), at(2026, 3, 2, 15, 0)) == 1.5 * H
    assert cal.working_time_between(at(2026, 9, 30, 16, 5), at(2026, 10, 8, 15, 35)) == DAY
    assert cal.working_time_between(at(2026, 3, 3), at(2026, 3, 2)) == -DAY
    assert cal.working_time_between(at(2026, 10, 1), at(2026, 10, 7, 23)) == timedelta(0)


@pytest.mark.parametrize("t, opening", [
    (at(2026, 3, 2, 9, 0), at(2026, 3, 2, 9, 0)),        # open: t itself
    (at(2026, 3, 2, 12, 0), at(2026, 3, 2, 14, 30)),     # lunch (periods are half-open)
    (at(2026, 7, 1, 12, 0), at(2026, 7, 1, 15, 0)),      # summer lunch
    (at(2026, 3, 2, 17, 30), at(2026, 3, 3, 8, 0)),      # closing time
    (at(2026, 10, 1, 8, 0), at(2026, 10, 8, 8, 0)),      # holiday
    (at(2026, 2, 13, 18, 0), at(2026, 2, 14, 8, 0)),     # make-up Saturday
])
def test_next_opening(cal, t, opening):
    assert cal.next_opening(t) == opening


START = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31, 23, 59),
                     timezones=st.just(SH))


@settings(deadline=None, max_examples=300)
@given(start=START, n=st.one_of(st.integers(0, 40), st.floats(0, 40, allow_nan=False)))
def test_property_adding_days_then_measuring_gives_n_x_7_hours(cal, start, n):
    due = cal.add_working_days(start, n)
    amount = DAY * n
    assert cal.working_time_between(start, due.at) == amount
    if amount:
        # ... and it is the earliest such instant.
        assert cal.working_time_between(start, due.at - timedelta(microseconds=1)) < amount
    assert due.provisional == cal.touches_provisional(start, due.at)


@settings(deadline=None, max_examples=300)
@given(start=START, hours=st.one_of(st.integers(0, 200), st.floats(0, 200, allow_nan=False)))
def test_property_adding_hours_then_measuring_gives_the_hours(cal, start, hours):
    due = cal.add_working_hours(start, hours)
    assert cal.working_time_between(start, due.at) == H * hours
    assert due.at >= start


# --- ISO-8601 durations (the engine's business calendar) --------------------------------------

@pytest.mark.parametrize("iso, amount", [
    ("P1D", DAY), ("PT3H", 3 * H), ("P2DT1H", 15 * H), ("PT90M", 1.5 * H), ("P0.5D", 3.5 * H),
    ("PT1H30M15S", timedelta(hours=1, minutes=30, seconds=15)), ("P1W", 5 * DAY), ("p1d", DAY),
])
def test_parse_duration(iso, amount):
    assert parse_duration(iso) == amount


def test_add_duration(cal):
    start = at(2026, 3, 2, 16, 5)
    assert cal.add_duration(start, "P1D") == cal.add_working_days(start, 1)
    assert cal.add_duration(start, "PT3H") == Deadline(at(2026, 3, 3, 9, 35), False)
    assert cal.add_duration(start, "P2DT1H") == Deadline(at(2026, 3, 4, 17, 5), False)


@pytest.mark.parametrize("bad", ["P1Y", "P1M", "P", "PT", "-P1D", "1D", "P1H", "PT1D", "", "P1DT"])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


# --- loading: the app's calendar and bad data files ------------------------------------------

def test_get_calendar_is_cached_and_reloads_in_place(app, tmp_path):
    first = get_calendar(app)
    assert get_calendar(app) is first
    with app.app_context():
        assert get_calendar() is first
    assert first.official_years() == [2024, 2025, 2026]
    # Reloading keeps the object every holder (engine, script functions) has, with the new data.
    folder = tmp_path / "cal"
    shutil.copytree(DATA, folder)
    first.source = folder
    (folder / "2030.toml").write_text(
        YEAR_HEAD + '[[holidays]]\nname_zh = "元旦"\nname_en = "New Year"\ndays = [2030-01-01]\n', encoding="utf-8")
    assert get_calendar(app, reload=True) is first
    assert first.official_years() == [2024, 2025, 2026, 2030]
    assert first.day(date(2030, 1, 1)) == DayInfo(False, "元旦", False)


YEAR_HEAD = 'year = 2030\n[notice]\ntitle = "t"\nnumber = "n"\ndate = 2029-11-01\n'


@pytest.mark.parametrize("body, problem", [
    ('[[holidays]]\nname_zh = "x"\nname_en = "x"\ndays = [2030-01-01]\nmakeup_workdays = [2030-01-02]\n',
     "not a Saturday or Sunday"),
    ('[[holidays]]\nname_zh = "x"\nname_en = "x"\ndays = [2030-01-01]\n'
     '[[holidays]]\nname_zh = "y"\nname_en = "y"\ndays = [2030-01-01]\n', "already listed"),
    ('[[holidays]]\nname_zh = "x"\nname_en = "x"\ndays = [2030-01-01]\nmakeup = [2030-01-05]\n',
     "unknown key"),
    ('[[holidays]]\nname_zh = "x"\nname_en = "x"\nfirst = 2030-01-03\nlast = 2030-01-01\n', "'last'"),
    ('[[holidays]]\nname_zh = "x"\ndays = [2030-01-01]\n', "name_en"),
])
def test_bad_year_files_are_refused_with_the_reason(tmp_path, body, problem):
    shutil.copy(DATA / "office_hours.toml", tmp_path)
    (tmp_path / "2030.toml").write_text(YEAR_HEAD + body, encoding="utf-8")
    with pytest.raises(CalendarDataError, match=problem):
        WorkCalendar.from_dir(tmp_path)


def test_year_must_match_the_file_name(tmp_path):
    shutil.copy(DATA / "office_hours.toml", tmp_path)
    (tmp_path / "2031.toml").write_text(YEAR_HEAD, encoding="utf-8")
    with pytest.raises(CalendarDataError, match="does not match"):
        WorkCalendar.from_dir(tmp_path)


def test_office_hours_must_add_up_to_a_working_day(tmp_path):
    text = (DATA / "office_hours.toml").read_text(encoding="utf-8").replace("15:00-18:00", "15:00-17:30")
    (tmp_path / "office_hours.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CalendarDataError, match="add up"):
        WorkCalendar.from_dir(tmp_path)


# --- the CLI ----------------------------------------------------------------------------------

def last_line(result):
    return result.output.strip().splitlines()[-1]


@pytest.mark.parametrize("args, last", [
    (["2026-03-02T16:05", "--working-days", "1"], "2026-03-03T16:05:00+08:00"),
    (["2026-03-02T08:05:00Z", "--working-days", "1"], "2026-03-03T16:05:00+08:00"),
    (["2026-10-01", "--working-days", "1"], "2026-10-08T17:30:00+08:00"),
    (["2026-03-02T16:05", "--working-hours", "3"], "2026-03-03T09:35:00+08:00"),
    (["2026-03-02T16:05", "--working-days", "0.5"], "2026-03-03T10:05:00+08:00"),
    (["2026-12-31T16:05", "--working-days", "1"], "2027-01-04T16:05:00+08:00 provisional"),
])
def test_cli_deadline(runner, args, last):
    result = runner.invoke(args=["calendar", "deadline", *args])
    assert result.exit_code == 0, result.output
    assert last_line(result) == last


@pytest.mark.parametrize("day, last", [
    ("2026-10-01", "rest 国庆节"), ("2026-02-14", "working 调休"), ("2026-03-07", "rest 周末"),
    ("2026-03-02", "working 工作日"), ("2027-01-01", "rest 元旦 provisional"),
    ("2027-01-04", "working 工作日 provisional"),
])
def test_cli_day(runner, day, last):
    result = runner.invoke(args=["calendar", "day", day])
    assert result.exit_code == 0, result.output
    assert last_line(result) == last


def test_cli_years(runner):
    result = runner.invoke(args=["calendar", "years", "--today", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "official: 2024 2025 2026" in result.output
    assert "国办发明电〔2025〕7号" in result.output
    assert "missing: 2027 (next year)" in result.output


@pytest.mark.parametrize("args", [
    ["deadline", "not-a-date", "--working-days", "1"],
    ["deadline", "2026-03-02", "--working-days", "-1"],
    ["deadline", "2026-03-02", "--working-days=-1"],
    ["deadline", "2026-03-02", "--working-hours", "abc"],
    ["deadline", "2026-03-02", "--working-days", "nan"],
    ["deadline", "2026-03-02"],
    ["deadline", "2026-03-02", "--working-days", "1", "--working-hours", "1"],
    ["day", "2026-02-30"],
    ["years", "--today", "someday"],
])
def test_cli_bad_input_exits_nonzero_without_traceback(runner, args):
    result = runner.invoke(args=["calendar", *args])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)  # a usage error, not a crash
    assert "Traceback" not in result.output
    assert "Error:" in result.output


def test_cli_explains_skipped_days(cal):
    lines = deadline_lines(cal, at(2026, 9, 30, 16, 5), working_days=1)
    assert lines[-1] == "2026-10-08T15:35:00+08:00"
    assert any("2026-10-01..2026-10-07 国庆节" in line for line in lines)
    assert years_lines(cal, date(2027, 3, 1))[-1].startswith("missing: 2027 (this year!), 2028 (next year)")
