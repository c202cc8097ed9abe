"""The map of one viewer and one set of filters: the points, the counts per area and the cameras,
read in one go (`get`)."""
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from ..cases import search
from . import areas, cameras, points
from .forms import MapFilters

MAX_POINTS = 5000     # the newest reports drawn; the counts always cover every case
LIGHTS = ("green", "yellow", "red", "done", "done-late", "none")


@dataclass
class Summary:
    total: int            # cases matching the filters
    shown: int            # points drawn
    reported: int         # placed at the coordinates they were reported with (of total)
    unit: int             # placed at their grid's or community's centre (of total)
    unplaced: int         # without coordinates and without a centre to place them at: not drawn
    overdue: int
    truncated: bool       # more cases than MAX_POINTS: only the newest are drawn
    lights: dict          # points drawn per light


@dataclass
class Areas:
    districts: list       # [areas.AreaCount], every district
    streets: list         # [areas.AreaCount], the streets with cases


@dataclass
class CityMap:
    now: datetime
    filters: MapFilters
    summary: Summary
    points: list          # [points.Point]
    areas: Areas
    cameras: list         # [cameras.CameraPoint]


def get(session, directory, catalogue, violations, *, viewer, filters: MapFilters, now, limit=MAX_POINTS) -> CityMap:
    """What the map shows `viewer` (an org User) for `filters` at `now`."""
    search.planned_for_values(session)
    where = search.conditions(directory, user=viewer, filters=filters.search_filters(), now=now)
    tally = areas.tally(session, directory, where=where, now=now)
    drawn = points.points(session, directory, catalogue, where=where, now=now, limit=limit)
    lights = Counter(p.light or "none" for p in drawn)
    summary = Summary(total=tally.total, shown=len(drawn), reported=tally.reported, unit=tally.unit,
                      unplaced=tally.unplaced, overdue=tally.overdue,
                      truncated=len(drawn) < tally.reported + tally.unit, lights={k: lights[k] for k in LIGHTS})
    return CityMap(now=now, filters=filters, summary=summary, points=drawn,
                   areas=Areas(districts=tally.districts, streets=tally.streets),
                   cameras=cameras.cameras(session, directory, violations, viewer=viewer))
