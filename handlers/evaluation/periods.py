"""The period of an evaluation: a month (`2026-11`, the default is the current one), a quarter
(`2026-Q4`), a year (`2026`), or any range of Beijing dates (from, to, both inclusive). Its bounds
are instants, half-open: from 00:00 of the first day to 00:00 after the last (Beijing time)."""
import re
from dataclasses import dataclass
from datetime import date, timedelta

from .. import localtime
from ..errors import Invalid

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
YEAR = re.compile(r"^(\d{4})$")
FIRST, LAST = date(2000, 1, 1), date(2099, 12, 31)


@dataclass(frozen=True)
class Period:
    first: date          # the first Beijing date
    last: date           # the last Beijing date (inclusive)
    label: str           # as given (2026-11, 2026-Q4, 2026) or 2026-11-03..2026-11-20

    @property
    def start(self):
        return localtime.day_start(self.first)

    @property
    def end(self):
        """The first instant after the period (a case closed at 00:00 of the next day is not in it)."""
        return localtime.day_end(self.last)

    @property
    def title(self):
        """The period in Chinese, for report titles."""
        if MONTH.match(self.label):
            return f"{self.first.year}年{self.first.month}月"
        if QUARTER.match(self.label):
            return f"{self.first.year}年第{(self.first.month - 1) // 3 + 1}季度"
        if YEAR.match(self.label):
            return f"{self.first.year}年"
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}"


def _month(year, month):
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def parse(period=None, *, date_from=None, date_to=None, today) -> Period:
    """The period named by `period`, or by `date_from`/`date_to` (dates or ISO text); the current
    month when neither is given. Raises Invalid naming the field at fault."""
    if period and (date_from or date_to):
        raise Invalid("请只给出 period，或只给出 from/to", "period")
    if date_from or date_to:
        if not (date_from and date_to):
            raise Invalid("from 和 to 须同时给出", "from" if not date_from else "to")
        try:
            first = date_from if isinstance(date_from, date) else date.fromisoformat(date_from)
        except ValueError:
            raise Invalid(f"不是日期：{date_from}", "from") from None
        try:
            last = date_to if isinstance(date_to, date) else date.fromisoformat(date_to)
        except ValueError:
            raise Invalid(f"不是日期：{date_to}", "to") from None
        if last < first:
            raise Invalid("to 不能早于 from", "to")
        found = Period(first, last, f"{first.isoformat()}..{last.isoformat()}")
    else:
        text = (period or today.strftime("%Y-%m")).strip()
        month, quarter, year = MONTH.match(text), QUARTER.match(text), YEAR.match(text)
        named = month or quarter or year
        if named and not FIRST.year <= int(named[1]) <= LAST.year:
            raise Invalid("考评周期须在 2000 至 2099 年之间", "period")
        if month and 1 <= int(month[2]) <= 12:
            found = Period(*_month(int(month[1]), int(month[2])), text)
        elif quarter:
            q = int(quarter[2])
            found = Period(_month(int(quarter[1]), 3 * q - 2)[0], _month(int(quarter[1]), 3 * q)[1], text.upper())
        elif year:
            found = Period(date(int(text), 1, 1), date(int(text), 12, 31), text)
        else:
            raise Invalid(f"不是考评周期：{text}（如 2026-11、2026-Q4、2026）", "period")
    if found.first < FIRST or found.last > LAST:
        raise Invalid("考评周期须在 2000 至 2099 年之间", "period")
    return found
