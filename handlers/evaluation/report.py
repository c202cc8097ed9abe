"""An evaluation: for a period and a level, every row with its indicators (`indicators`), its rank
in its group (`ranking`), limited to what the viewer may read, and the cases behind each number
of one unit.

Who reads what: the command center, owners, auditors and admins read everything
(`evaluate_all`). An officer reads the full rows of the units in their own subtree; the units of
the same ranking groups outside it only by name, rank and totals (composite, score, grade); a
grid worker only their own row. A unit outside the viewer's subtree has no detail: it is unknown."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from engine import instances

from .. import localtime
from ..cases.visibility import subtree
from ..errors import Invalid, PermissionDenied
from ..org import capabilities
from ..org.models import User
from . import indicators, periods, queries, ranking, rules as rules_module
from .export import definitions
from .periods import Period

UNIT_LEVELS = {"district": "district", "street": "street", "community": "community", "department": "department"}
LEVELS = (*UNIT_LEVELS, "job", "grid")
JOB_ROLES = ("intake", "dispatcher", "shiftlead")
REDUCED = ("composite", "score", "grade")


@dataclass
class Evaluation:
    """Everything computed for a period, before anyone's view of it."""

    period: Period
    judged: datetime         # when "at the end" is (the period's end, or now)
    center: str
    rules: rules_module.Rules
    computed_at: datetime
    handling: dict            # unit -> figures (own and subtree; the center: the whole city's)
    area: dict                # unit -> figures (districts, streets, communities; the center: the city)
    jobs: dict                # username -> figures
    grid: dict                # username -> figures
    ranks: dict = field(default_factory=dict)        # unit -> (rank, of) by the handling composite
    area_ranks: dict = field(default_factory=dict)   # unit -> (rank, of) by the area composite


def _rollup(own, directory, units):
    """{unit: Counts of itself and everything below it} for `units`."""
    total = {u: indicators.Counts() for u in units}
    for unit, counts in own.items():
        for ancestor in directory.ancestors(unit):
            if ancestor in total:
                total[ancestor].update(counts)
    return total


def _group(directory, unit):
    """The ranking group of a unit: its kind, and for streets and communities its parent."""
    kind = directory.kind(unit)
    return (kind, directory.parent(unit)) if kind in ("street", "community") else (kind, None)


def compute(session, runtime, directory, calendar, period: Period, *, progress=None,
            subjects=indicators.SUBJECTS) -> Evaluation:
    """The whole evaluation of a period, from the recorded facts (`progress`: see `indicators.collect`);
    `subjects` limits what is counted (the dashboard reads only the units' and areas' figures)."""
    rules = rules_module.current(session, runtime)
    now, center = runtime.clock.now(), directory.center()
    collected = indicators.collect(session, period, now=now, center=center, calendar=calendar,
                                   check_hours=rules.weights[rules_module.GRID].check_hours,
                                   reply_hours=rules.weights[rules_module.HANDLING].reply_hours, progress=progress,
                                   subjects=subjects)
    units = [u for kind in UNIT_LEVELS.values() for u in directory.of_kind(kind)]
    # the city's totals too (the dashboard's city figures), counted like any unit's but never ranked
    counted = [*units, center]
    handling_counts = _rollup(collected.handling, directory, counted)
    area_counts = _rollup(collected.area, directory, [u for u in counted if directory.kind(u) != "department"])
    points = {u: 0.0 for u in counted}
    for unit, value in collected.points.items():
        for ancestor in directory.ancestors(unit):
            if ancestor in points:
                points[ancestor] += value
    handling_weights, area_weights = rules.weights[rules_module.HANDLING], rules.weights[rules_module.AREA]
    handling = {u: indicators.handling_figures(handling_counts[u], points[u], handling_weights, rules) for u in counted}
    area = {u: indicators.area_figures(c, area_weights, rules) for u, c in area_counts.items()}
    people = (*(JOB_ROLES if "jobs" in subjects else ()), *(("grid",) if "grid" in subjects else ()))
    users = dict(session.execute(select(User.username, User.role).where(User.role.in_(people))).all()) if people else {}
    jobs = {name: indicators.job_figures(collected.jobs.get(name, indicators.Counts()))
            for name, role in users.items() if role in JOB_ROLES}
    grid = {name: indicators.grid_figures(collected.grid.get(name, indicators.Counts()))
            for name, role in users.items() if role == "grid"}
    evaluation = Evaluation(period, indicators.judged_at(period, now), center, rules, now, handling, area, jobs, grid)
    groups = {}
    for unit in units:
        groups.setdefault(_group(directory, unit), []).append(unit)
    for members in groups.values():
        evaluation.ranks.update(ranking.ranks({u: handling[u]["composite"] for u in members}))
        if members[0] in area:
            evaluation.area_ranks.update(ranking.ranks({u: area[u]["composite"] for u in members}))
    return evaluation


# --- what a viewer reads ----------------------------------------------------------------------------

def _sees_all(viewer):
    return capabilities.can(viewer, "evaluate_all")


def _own(directory, viewer, unit):
    """Whether the unit lies in the viewer's subtree (their full rows)."""
    return _sees_all(viewer) or directory.is_within(unit, viewer.unit_code)


def _unit_row(evaluation, directory, unit, full):
    rank, of = evaluation.ranks.get(unit, (None, 0))
    handling = evaluation.handling[unit]
    row = dict(unit=unit, name=directory.name(unit), kind=directory.kind(unit), parent=directory.parent(unit),
               parent_name=directory.name(directory.parent(unit)) if directory.parent(unit) else None,
               rank=rank, of=of, rank_text=ranking.text(rank, of), detail=full,
               handling=handling if full else {k: handling[k] for k in REDUCED}, area=None, area_rank=None,
               area_of=None)
    if unit in evaluation.area:
        area_rank, area_of = evaluation.area_ranks.get(unit, (None, 0))
        area = evaluation.area[unit]
        row.update(area=area if full else {k: area[k] for k in ("composite", "grade")}, area_rank=area_rank,
                   area_of=area_of)
    return row


def rows(session, evaluation, directory, *, level, viewer, unit=None):
    """The rows of a level that the viewer may read, highest rank first (then by code); `unit`
    narrows them to that unit's subtree."""
    if level not in LEVELS:
        raise Invalid(f"level 须为以下之一：{', '.join(LEVELS)}", "level")
    if unit is not None and not directory.exists(unit):
        raise Invalid(f"未知单位 {unit}", "unit")
    within = set(subtree(directory, unit)) if unit else None
    if level in UNIT_LEVELS:
        chain = set(directory.ancestors(viewer.unit_code)) | set(subtree(directory, viewer.unit_code))
        found = []
        members_by_group = {}
        for code in directory.of_kind(UNIT_LEVELS[level]):
            members_by_group.setdefault(_group(directory, code), []).append(code)
        for members in members_by_group.values():
            if not _sees_all(viewer) and not chain & set(members):
                continue      # a group the viewer has no unit in
            for code in members:
                if within is None or code in within:
                    found.append(_unit_row(evaluation, directory, code, _own(directory, viewer, code)))
        return sorted(found, key=lambda r: (r["parent"] or "", r["rank"] is None, r["rank"] or 0, r["unit"]))
    users = {u.username: u for u in _users(session, directory, viewer, level)}
    figures = evaluation.jobs if level == "job" else evaluation.grid
    result = []
    for name in sorted(figures):
        user = users.get(name)
        if user is None or (within is not None and user.unit_code not in within):
            continue
        result.append(dict(user=name, name=user.display_name or name, role=user.role, unit=user.unit_code,
                           unit_name=directory.name(user.unit_code), figures=figures[name]))
    return result


def readable_levels(viewer):
    """The levels whose rows the viewer may read (the command-center posts only for who reads everything)."""
    return LEVELS if _sees_all(viewer) else tuple(level for level in LEVELS if level != "job")


def _users(session, directory, viewer, level):
    """The users whose rows the viewer may read at the job or grid level."""
    found = list(session.scalars(select(User).where(User.role.in_(JOB_ROLES if level == "job" else ("grid",)))))
    if _sees_all(viewer):
        return found
    if level == "job":
        raise PermissionDenied("只有指挥中心、审计和管理人员可以查看指挥中心岗位考评")
    if viewer.role == "grid":
        return [u for u in found if u.username == viewer.username]
    return [u for u in found if directory.is_within(u.unit_code, viewer.unit_code)]


def unit_detail(session, evaluation, directory, *, viewer, unit):
    """One unit's row, its rank, and the case numbers behind each of its numbers (the counters'
    own conditions, for the unit and everything below it); NotFound when the viewer may not read
    it (as if it did not exist)."""
    if not directory.exists(unit) or directory.kind(unit) not in UNIT_LEVELS.values() \
            or not _own(directory, viewer, unit):
        raise instances.NotFound(f"单位 {unit} 不存在")
    row = _unit_row(evaluation, directory, unit, True)
    below = subtree(directory, unit)
    period, judged = evaluation.period, evaluation.judged
    behind = _behind(session, [*queries.handling(period, judged), queries.penalties(period)], below)
    behind["due"] = sorted(behind["handled"] + behind["overdue_open"])
    row["cases"] = behind
    if unit in evaluation.area:
        area = _behind(session, queries.area(period, judged), below)
        area["due_close"] = sorted(area["closed"] + area["overdue_open"])
        row["area_cases"] = area
    return row


def _behind(session, tallies, keys):
    """{counter: the case numbers behind it} for the given keys."""
    return {name: tally.cases(session, name, keys) for tally in tallies for name in tally.counters}


def document(session, evaluation, directory, *, level, viewer, unit=None):
    """The evaluation of a level as the API, the CLI and the exports give it."""
    return dict(
        period=document_period(evaluation.period), level=level, unit=unit, unit_name=directory.name(unit) if unit else None,
        rules_version=evaluation.rules.version, computed_at=localtime.isoformat(evaluation.computed_at),
        definitions=definitions(evaluation.rules),
        rows=rows(session, evaluation, directory, level=level, viewer=viewer, unit=unit))


def today_of(runtime):
    return runtime.calendar.local(runtime.clock.now()).date()


def evaluate(session, runtime, directory, calendar, *, viewer, period=None, date_from=None, date_to=None,
             level="district", unit=None, progress=None):
    """The evaluation document of a period at a level, as `viewer` may read it (the service the
    API and the CLI call). Raises Invalid (period, level, unit) or PermissionDenied."""
    chosen = periods.parse(period, date_from=date_from, date_to=date_to, today=today_of(runtime))
    if level not in LEVELS:
        raise Invalid(f"level 须为以下之一：{', '.join(LEVELS)}", "level")
    evaluation = compute(session, runtime, directory, calendar, chosen, progress=progress)
    return document(session, evaluation, directory, level=level, viewer=viewer, unit=unit)


def evaluate_unit(session, runtime, directory, calendar, *, viewer, unit, period=None, date_from=None, date_to=None):
    """One unit's evaluation with the cases behind each number; NotFound outside the viewer's reach."""
    chosen = periods.parse(period, date_from=date_from, date_to=date_to, today=today_of(runtime))
    if not directory.exists(unit) or not _own(directory, viewer, unit):
        raise instances.NotFound(f"单位 {unit} 不存在")
    evaluation = compute(session, runtime, directory, calendar, chosen)
    found = unit_detail(session, evaluation, directory, viewer=viewer, unit=unit)
    found["period"] = document_period(chosen)
    return found


def document_period(period):
    return dict(label=period.label, title=period.title, **{"from": period.first.isoformat()}, to=period.last.isoformat())
