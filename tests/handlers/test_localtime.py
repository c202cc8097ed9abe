"""handlers.localtime: one zone, one way to write an instant, Beijing dates and their bounds."""
from datetime import date, datetime, timedelta, timezone

from handlers import localtime


def test_an_instant_is_written_in_beijing_time_with_its_offset():
    instant = datetime(2026, 3, 2, 8, 5, tzinfo=timezone.utc)
    assert localtime.isoformat(instant) == "2026-03-02T16:05:00+08:00"
    assert localtime.isoformat(None) is None
    assert localtime.show(instant) == "2026-03-02 16:05"
    assert localtime.show("2026-03-02T16:05:00+08:00", "%H:%M") == "16:05"
    assert localtime.show(None) == ""


def test_text_is_read_as_an_aware_utc_instant_and_without_offset_as_beijing_time():
    assert localtime.parse("2026-03-02T16:05:00+08:00") == datetime(2026, 3, 2, 8, 5, tzinfo=timezone.utc)
    assert localtime.parse("2026-03-02T16:05") == datetime(2026, 3, 2, 8, 5, tzinfo=timezone.utc)
    assert localtime.parse("") is None


def test_beijing_dates_and_their_half_open_bounds():
    late_evening_utc = datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc)     # 00:30 on 03-02 in Beijing
    assert localtime.local_date(late_evening_utc) == date(2026, 3, 2)
    start, end = localtime.day_start(date(2026, 3, 2)), localtime.day_end(date(2026, 3, 2))
    assert start.astimezone(timezone.utc) == datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc)
    assert end - start == timedelta(days=1)
