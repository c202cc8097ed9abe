"""The cases of the map counted by where they are: one pass over the filtered cases grouped by
community, grid and whether they came with coordinates, rolled up to the districts (the choropleth:
the org tree's district names are the map's region names) and the streets (bubbles at their centre
points: the org data has centres for streets but no boundaries), and to the placement figures."""
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from ..cases import search
from ..cases.models import Case


@dataclass
class AreaCount:
    code: str
    name: str
    count: int = 0          # the cases shown (as filtered)
    overdue: int = 0        # of those, overdue (open past the deadline, or ended after it)
    district: str | None = None        # a street's district
    lng: float | None = None           # a street's centre point
    lat: float | None = None


@dataclass
class Tally:
    """The figures of one pass over the map's cases."""

    districts: list            # [AreaCount] of every district, in code order
    streets: list              # [AreaCount] of the streets with cases
    total: int                 # every case the filters give
    reported: int              # ... that came with coordinates
    unit: int                  # ... placed at their grid's or community's centre
    unplaced: int              # ... with neither (no centre up the tree): not on the map
    overdue: int


def located_clause():
    """A case reported with coordinates."""
    return and_(Case.lat.is_not(None), Case.lng.is_not(None))


def kind_above(directory, unit, kind):
    """The unit's ancestor (or itself) of `kind`, or None."""
    return next((u for u in directory.ancestors(unit) if directory.kind(u) == kind), None) if unit else None


def tally(session, directory, *, where, now) -> Tally:
    """Count the cases matching `where` (`cases.search.conditions`) by area and placement."""
    located = case((located_clause(), 1), else_=0).label("located")
    overdue = func.sum(case((search.overdue_clause(now), 1), else_=0))
    rows = session.execute(select(Case.community, Case.grid, located, func.count(), overdue)
                           .where(*where).group_by(Case.community, Case.grid, located))
    counts, late = Counter(), Counter()
    total = reported = unit = unplaced = overdue_total = 0
    for community, grid, has_coordinates, count, overdue_count in rows:
        overdue_count = int(overdue_count or 0)
        total += count
        overdue_total += overdue_count
        if has_coordinates:
            reported += count
        elif directory.centre(grid or community) is not None:
            unit += count
        else:
            unplaced += count
        for kind in ("district", "street"):
            area = kind_above(directory, community, kind)
            if area:
                counts[area] += count
                late[area] += overdue_count
    districts = [AreaCount(code, directory.name(code), counts[code], late[code])
                 for code in directory.of_kind("district")]
    streets = []
    for code in directory.of_kind("street"):
        if counts[code]:
            centre = directory.centre(code)
            streets.append(AreaCount(code, directory.name(code), counts[code], late[code],
                                     district=kind_above(directory, code, "district"),
                                     lng=centre[0] if centre else None, lat=centre[1] if centre else None))
    return Tally(districts, streets, total, reported, unit, unplaced, overdue_total)
