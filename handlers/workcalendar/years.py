"""The years of the working-day calendar, for admins: which are official and which are only
estimated (provisional), checking and installing next year's data file, and recomputing the open
deadlines that were counted on the estimate once it has arrived (`cases.deadlines`).

An uploaded file is checked beyond what the loader asks of the files under `calendar/`: it is
UTF-8 TOML of a year that has no official data yet; every date it lists lies within that year;
its source notice is given (title, number, date); its rest days and make-up days overlap neither
each other nor any other year's; the calendar with it loads. Only then is it written (atomically,
as `<year>.toml` in the calendar folder), the calendar reloaded, the `calendar` stamp bumped (every
other process re-reads the folder at its next request) and the change recorded on the system chain.
The folder is shared by the processes of one machine; several machines need it on shared storage."""
import os
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from engine import stamps

from ..cases import deadlines
from ..errors import Invalid
from ..org import journal
from .worktime import CalendarDataError, WorkCalendar, parse_year

MAX_BYTES = 64 * 1024
STAMP = "calendar"
YEARS = range(2000, 2100)


class YearFileError(Invalid):
    """An uploaded year file that cannot be accepted (422 on the field `file`)."""

    def __init__(self, message):
        super().__init__(message, "file")


@dataclass
class YearStatus:
    year: int
    official: bool
    notice: object = None        # worktime.Notice of an official year
    provisional_cases: int = 0   # open cases whose provisional deadline's count touches the year


def status(session, calendar, today: date) -> list[YearStatus]:
    """The official years and the nearby years without data (through next year), ascending."""
    official = calendar.official_years()
    span = range(min(official + [today.year]), max(official + [today.year + 1]) + 1)
    return [YearStatus(year, year in official, calendar.year_data(year).notice if year in official else None,
                       len(deadlines.provisional_cases(session, year))) for year in span]


def check(calendar, raw: bytes):
    """(YearData, text) of an uploaded year file; raises YearFileError saying what is wrong."""
    if not raw:
        raise YearFileError("请选择年度日历文件（.toml）")
    if len(raw) > MAX_BYTES:
        raise YearFileError(f"文件过大（不超过 {MAX_BYTES // 1024} KiB）")
    try:
        text = raw.decode("utf-8")
        parsed = tomllib.loads(text)
    except UnicodeDecodeError:
        raise YearFileError("文件须为 UTF-8 编码") from None
    except tomllib.TOMLDecodeError as exc:
        raise YearFileError(f"不是有效的 TOML：{exc}") from None
    year = parsed.get("year")
    if type(year) is not int or year not in YEARS:
        raise YearFileError("缺少年份（year = 2027），或年份不在 2000–2099 之间")
    if year in calendar.official_years():
        raise YearFileError(f"{year} 年已有正式数据，不能再次上传")
    try:
        data = parse_year(parsed, f"{year}.toml")
    except CalendarDataError as exc:
        raise YearFileError(f"文件内容有误：{exc}") from None
    notice = data.notice
    if not notice.title.strip() or not notice.number.strip():
        raise YearFileError("须注明来源通知：标题（title）、文号（number）和日期（date）")
    for block in data.holidays:
        for day in block.rest_days + block.makeup_workdays:
            if day.year != year:
                raise YearFileError(f"{block.name_zh}：日期 {day} 不在 {year} 年内")
    try:
        WorkCalendar([*(calendar.year_data(y) for y in calendar.official_years()), data], calendar.office_hours)
    except CalendarDataError as exc:
        raise YearFileError(f"与已有日历冲突：{exc}") from None
    return data, text


def _write(folder: Path, year: int, text: str) -> Path:
    path = folder / f"{year}.toml"
    aside = folder / f".{year}.toml.{os.getpid()}"
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, path)
    return path


def install(session, runtime, calendar, raw: bytes, *, actor):
    """Check and install an uploaded year file, then recompute the open provisional deadlines of
    that year; returns (YearData, [(case_no, old due, new due, still provisional)]). Should the
    recompute fail, the file is taken away again (and the error raised)."""
    data, text = check(calendar, raw)
    path = _write(Path(calendar.source), data.year, text)
    try:
        calendar.reload()
        moved = recompute(session, runtime, calendar, data.year, actor=actor, loaded=True)
    except BaseException:
        path.unlink(missing_ok=True)
        calendar.reload()
        raise
    return data, moved


def recompute(session, runtime, calendar, year, *, actor, loaded=False, progress=None):
    """Recompute the open provisional deadlines touching `year` (which must be official now) and
    record it; `loaded`: the year's file was installed in this unit of work (recorded as well)."""
    if year not in calendar.official_years():
        raise Invalid(f"{year} 年尚无正式数据", "year")
    now = runtime.clock.now()
    moved = deadlines.recompute_provisional(session, runtime, calendar, year, actor=actor, progress=progress)
    if loaded:
        notice = calendar.year_data(year).notice
        journal.record(session, kind="calendar_year_loaded", actor=actor, at=now, subject=f"calendar:{year}",
                       before={"official": False},
                       after={"official": True, "notice": f"{notice.title} {notice.number} ({notice.date})"})
    journal.record(session, kind="deadlines_recomputed", actor=actor, at=now, subject=f"calendar:{year}",
                   after=summary(moved), cases=[{"case_no": no, "from": old, "to": new} for no, old, new, _ in moved])
    # every other process re-reads the folder at its next request (also after a file added by hand
    # and `calendar recompute`: running servers need no restart)
    stamps.bump(session, STAMP)
    return moved


def summary(moved):
    """{recomputed, moved, unchanged, still_provisional} of a recompute's rows."""
    changed = sum(1 for _, old, new, _ in moved if old != new)
    return {"recomputed": len(moved), "moved": changed, "unchanged": len(moved) - changed,
            "still_provisional": sum(1 for *_, p in moved if p)}
