"""The dashboard's figures for a viewer, a scope unit and a month, as one document (the API's and the
web page's):

- `today` and `month`: reports (上报, and by channel), filings (立案), closures (结案) and the on-time
  rate (按期处置率) of today and of the month; the month's reports by major category class and its
  reports and closures per day (up to today);
- `current` (now): the open cases, by status, due today, overdue, by deadline light, and by age
  (calendar days since the report, Beijing dates) and urgency;
- `ranking`: the evaluation's rows of the units one level down (the month), and `standing`, the
  scope's own row among its peers.

Every count is a `figure`: its value and the case-list filters whose list has exactly that many
rows (`query`, `link`). The evaluation's own numbers (上报, 立案, 结案, 超期未结案, 按期处置率) are
taken from the evaluation of the same period (`report.compute`) wherever it has them for the scope;
the rest, and the units it does not rate (a grid, a department's reports), are counts of the case
list (`search.count`, `search.count_by`)."""
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import func

from .. import localtime
from ..cases import search
from ..cases.deadlines import LIGHTS
from ..cases.forms import CHANNELS
from ..cases.models import Case
from ..cases.statuses import OPEN_STATUSES
from ..errors import Invalid
from ..evaluation import periods, report
from ..evaluation.export import LEVEL_NAMES
from . import scope

CASE_LIST, EVALUATION = "/cases", "/evaluation"   # the web pages the links open
UNITS = ("handling", "area")    # the evaluation's subjects the dashboard reads (not the posts, not the people)
# open cases by age: (key, fewest days since the report, most days; None: no bound)
AGES = (("today", 0, 0), ("1-2", 1, 2), ("3-6", 3, 6), ("7-29", 7, 29), ("30+", 30, None))


def link(path, query):
    return f"{path}?{urlencode(query)}" if query else path


class Counter:
    """The figures of one scope for one viewer at one instant: counts of the case list's filters."""

    def __init__(self, session, directory, *, viewer, unit, now):
        self.session, self.directory, self.viewer, self.now = session, directory, viewer, now
        self.base = scope.cases_of(directory, unit)

    def filters(self, **given):
        return replace(self.base, **given)

    def count(self, **given):
        return search.count(self.session, self.directory, user=self.viewer, filters=self.filters(**given), now=self.now)

    def count_by(self, key, **given):
        return search.count_by(self.session, self.directory, key, user=self.viewer, filters=self.filters(**given),
                               now=self.now)

    def instants(self, column, **given):
        return search.instants(self.session, self.directory, column, user=self.viewer, filters=self.filters(**given),
                               now=self.now)

    def figure(self, key, value=None, label=None, **given):
        """A number and the case list of its cases (counted here unless `value` is given)."""
        query = search.to_query(self.filters(**given))
        return dict(key=key, label=label, value=self.count(**given) if value is None else value, query=query,
                    link=link(CASE_LIST, query))


def _rate(evaluation, unit, level, period_query):
    """The evaluation's 按期处置率 of the unit (None where it rates nothing), with its parts, linking
    to the evaluation page of the unit's level."""
    figures = evaluation.handling.get(unit)
    query = {**period_query, "level": level, "unit": unit} if level else {}
    if figures is None:
        return dict(value=None, on_time=None, due=None, query=query, link=link(EVALUATION, query) if query else None)
    return dict(value=figures["on_time_rate"], on_time=figures["on_time"], due=figures["due"], query=query,
                link=link(EVALUATION, query))


def _level_of(directory, unit):
    """The evaluation level a unit's figures are read at (the city's: its districts')."""
    kind = directory.kind(unit)
    return "district" if kind == "center" else kind if kind in scope.RATED else None


def flows(counter, evaluation, unit, period, period_query, level):
    """Reports, by channel, filings, closures and the on-time rate of a period."""
    dates = dict(date_from=period.first, date_to=period.last)
    area = evaluation.area.get(unit)        # the evaluation's figures of where the cases are, if it has them
    by_channel = counter.count_by(Case.channel, **dates)
    return dict(
        reported=counter.figure("reported", area["reported"] if area else None, **dates),
        channels=[counter.figure(channel, by_channel.get(channel, 0), channel=channel, **dates)
                  for channel in CHANNELS],
        filed=counter.figure("filed", area["filed"] if area else None, dated="filed", **dates),
        closed=counter.figure("closed", area["closed"] if area else None, status="closed", dated="closed", **dates),
        on_time_rate=_rate(evaluation, unit, level, period_query))


def categories(counter, catalogue, period):
    """The period's reports by major class (the first four digits of the category), catalogue order."""
    dates = dict(date_from=period.first, date_to=period.last)
    counted = counter.count_by(func.substr(Case.category, 1, 4), **dates)
    names = {group.categories[0].code[:4]: group.label for group in catalogue.groups}
    ordered = [*names, *sorted(set(counted) - set(names))]
    return [counter.figure(prefix, counted[prefix], label=names.get(prefix, prefix), category=prefix, **dates)
            for prefix in ordered if counted.get(prefix)]


def daily(counter, period, today):
    """Per day of the period up to today: the reports and the closures (结案) of that Beijing date."""
    last = min(period.last, today)
    reported, closed = {}, {}
    for instant in counter.instants(Case.reported_at, date_from=period.first, date_to=last):
        day = localtime.local_date(instant)
        reported[day] = reported.get(day, 0) + 1
    for instant in counter.instants(Case.closed_at, status="closed", dated="closed", date_from=period.first,
                                    date_to=last):
        day = localtime.local_date(instant)
        closed[day] = closed.get(day, 0) + 1
    days, day = [], period.first
    while day <= last:
        days.append(dict(date=day.isoformat(),
                         reported=counter.figure("reported", reported.get(day, 0), date_from=day, date_to=day),
                         closed=counter.figure("closed", closed.get(day, 0), status="closed", dated="closed",
                                               date_from=day, date_to=day)))
        day += timedelta(days=1)
    return days


def current(counter, today_evaluation, unit, today):
    """The open cases now: in all, by status, due today, overdue, by light, by age and urgency."""
    area = today_evaluation.area.get(unit)    # judged now: its 超期未结案 is the cases overdue now
    by_status = counter.count_by(Case.status, status=search.OPEN)
    ages = []
    for key, fewest, most in AGES:
        dates = dict(date_from=today - timedelta(days=most) if most is not None else None,
                     date_to=today - timedelta(days=fewest))
        by_urgency = counter.count_by(Case.urgency, status=search.OPEN, **dates)
        ages.append(dict(key=key, fewest=fewest, most=most, figures=[
            counter.figure(urgency, by_urgency.get(None if urgency == search.UNGRADED else urgency, 0),
                           status=search.OPEN, urgency=urgency, **dates) for urgency in search.URGENCIES]))
    return dict(
        open=counter.figure("open", sum(by_status.values()), status=search.OPEN),
        statuses=[counter.figure(status, by_status.get(status, 0), status=status) for status in OPEN_STATUSES],
        due_today=counter.figure("due_today", status=search.OPEN, due_on=today),
        overdue=counter.figure("overdue", area["overdue_open"] if area else None, status=search.OPEN, overdue=True),
        lights=[counter.figure(colour, light=colour) for colour in LIGHTS],
        ages=ages)


def ranking(session, directory, evaluation, *, viewer, unit):
    """The evaluation's rows of the units one level down (in its order: by group, then rank), each
    with the case list of its cases; and the scope's own row among its peers (None for the city)."""
    kinds = {directory.kind(code) for code in scope.below(directory, unit)}
    levels = [level for level in scope.RATED if level in kinds]       # the districts before the departments
    rows = []
    for level in levels:
        for row in report.rows(session, evaluation, directory, level=level, viewer=viewer, unit=unit):
            cases = search.to_query(scope.cases_of(directory, row["unit"]))
            rows.append(dict(row, cases_query=cases, cases_link=link(CASE_LIST, cases)))
    kind = directory.kind(unit)
    standing = None
    if kind in scope.RATED:
        standing = next((r for r in report.rows(session, evaluation, directory, level=kind, viewer=viewer, unit=unit)
                         if r["unit"] == unit), None)
    return dict(levels=levels, level_names=[LEVEL_NAMES[level] for level in levels], rows=rows), standing


def chosen(runtime, directory, *, viewer, period=None, unit=None):
    """(the month, the scope unit) a dashboard is asked for; raises Invalid or NotFound as `dashboard`."""
    month = periods.parse(period, today=report.today_of(runtime))
    if not periods.MONTH.match(month.label):
        raise Invalid("须为月份，如 2026-11", "period")
    return month, scope.resolve(directory, viewer, unit)


def dashboard(session, runtime, directory, calendar, catalogue, *, viewer, period=None, unit=None):
    """The dashboard of `unit` (default: the viewer's own) for the month `period` (default: this one)
    and today, as `viewer` may see it. Raises Invalid (period), NotFound (a unit outside the viewer's
    subtree, or unknown)."""
    today = report.today_of(runtime)
    month, code = chosen(runtime, directory, viewer=viewer, period=period, unit=unit)
    now = runtime.clock.now()
    day = periods.parse(date_from=today, date_to=today, today=today)
    month_evaluation = report.compute(session, runtime, directory, calendar, month, subjects=UNITS)
    today_evaluation = report.compute(session, runtime, directory, calendar, day, subjects=UNITS)
    counter = Counter(session, directory, viewer=viewer, unit=code, now=now)
    level = _level_of(directory, code)
    rows, standing = ranking(session, directory, month_evaluation, viewer=viewer, unit=code)
    cases = search.to_query(counter.base)
    return dict(
        unit=dict(code=code, name=directory.name(code), kind=directory.kind(code), cases_query=cases,
                  cases_link=link(CASE_LIST, cases)),
        path=scope.path(directory, viewer, code), choices=scope.choices(directory, viewer),
        period=report.document_period(month), now=localtime.isoformat(now),
        rules_version=month_evaluation.rules.version,
        today=dict(date=today.isoformat(), **flows(counter, today_evaluation, code, day,
                                                   {"from": today.isoformat(), "to": today.isoformat()}, level)),
        month=dict(**flows(counter, month_evaluation, code, month, {"period": month.label}, level),
                   categories=categories(counter, catalogue, month), daily=daily(counter, month, today)),
        current=current(counter, today_evaluation, code, today),
        ranking=rows, standing=standing)
