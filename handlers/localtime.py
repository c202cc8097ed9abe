"""Time as the people of the command center read it: one zone (Asia/Shanghai, UTC+08:00), one way
to write an instant (ISO 8601 with its +08:00 offset), Beijing dates and the instants that bound
them. Instants are stored in UTC everywhere; this module is only how they are shown and read.

The working-day calendar keeps its office hours in this same zone (its data file says so, and
`workcalendar` refuses any other)."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

ZONE_NAME = "Asia/Shanghai"
ZONE = ZoneInfo(ZONE_NAME)


def isoformat(instant: datetime | None) -> str | None:
    """An aware instant as ISO 8601 in Beijing time (`2026-03-02T16:05:00+08:00`); None stays None."""
    return instant.astimezone(ZONE).isoformat() if instant else None


def parse(text: str | None) -> datetime | None:
    """ISO 8601 text as an aware UTC instant; text without an offset is Beijing time."""
    if not text:
        return None
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZONE)
    return value.astimezone(timezone.utc)


def local(instant: datetime) -> datetime:
    """The instant in Beijing time."""
    return instant.astimezone(ZONE)


def show(instant: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant (or ISO text) formatted for reading in Beijing time; "" for none."""
    if not instant:
        return ""
    if isinstance(instant, str):
        instant = parse(instant)
    return instant.astimezone(ZONE).strftime(fmt)


def local_date(instant: datetime) -> date:
    """The Beijing date of an instant."""
    return instant.astimezone(ZONE).date()


def day_start(day: date) -> datetime:
    """The first instant of a Beijing date (00:00 +08:00)."""
    return datetime.combine(day, time(0), tzinfo=ZONE)


def day_end(day: date) -> datetime:
    """The first instant after a Beijing date (the next day's 00:00 +08:00): ranges are half-open."""
    return day_start(day + timedelta(days=1))
