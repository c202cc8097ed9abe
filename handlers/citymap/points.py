"""The cases of the map as points: where each is (the coordinates it was reported with, else its
grid's or community's centre: `placed` says which), its light (`cases.deadlines.colour`), its
urgency, and what its card shows. The newest reports first, at most `limit` of them."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..cases import deadlines
from ..cases.models import Case
from .areas import kind_above

REPORTED, UNIT = "reported", "unit"      # placed at the report's coordinates / at a unit's centre
COLUMNS = (Case.id, Case.case_no, Case.category, Case.status, Case.urgency, Case.channel, Case.address, Case.lat,
           Case.lng, Case.community, Case.grid, Case.holder_unit, Case.reported_at, Case.filed_at, Case.due_at,
           Case.warn_at, Case.due_provisional, Case.closed_at)


@dataclass
class Point:
    case_no: str
    category: str
    category_name: str
    status: str
    urgency: str | None
    light: str | None          # green, yellow, red; done, done-late once ended; None before filing
    lng: float
    lat: float
    placed: str                # REPORTED or UNIT
    placed_at: str | None      # the unit whose centre it is placed at (UNIT)
    placed_at_name: str | None
    community: str | None
    grid: str | None
    district: str | None
    district_name: str | None
    holder_unit: str | None
    holder_name: str | None
    channel: str
    address: str
    reported_at: datetime
    due_at: datetime | None
    due_provisional: bool


def place(directory, row, centres=None):
    """(lng, lat, placed, unit) of a case row, or None when neither it nor its units have a place.
    `centres` remembers each unit's placement over one map (a few hundred units, thousands of cases)."""
    if row.lat is not None and row.lng is not None:
        return row.lng, row.lat, REPORTED, None
    unit = row.grid or row.community
    centres = {} if centres is None else centres
    if unit not in centres:
        placed_at = directory.centre_unit(unit) if unit else None
        centres[unit] = (*directory.centre(placed_at), UNIT, placed_at) if placed_at else None
    return centres[unit]


def points(session, directory, catalogue, *, where, now, limit) -> list:
    """The points of the newest `limit` cases matching `where` (`cases.search.conditions`)."""
    rows = session.execute(select(*COLUMNS).where(*where)
                           .order_by(Case.reported_at.desc(), Case.id.desc()).limit(limit))
    found, centres, districts, names, categories = [], {}, {}, {None: None}, {}

    def name(unit):
        if unit not in names:
            names[unit] = directory.name(unit)
        return names[unit]
    for row in rows:
        where_it_is = place(directory, row, centres)
        if where_it_is is None:
            continue
        lng, lat, placed, placed_at = where_it_is
        if row.community not in districts:
            districts[row.community] = kind_above(directory, row.community, "district")
        if row.category not in categories:
            categories[row.category] = catalogue.name(row.category)
        district = districts[row.community]
        found.append(Point(
            case_no=row.case_no, category=row.category, category_name=categories[row.category],
            status=row.status, urgency=row.urgency, light=deadlines.colour(row, now), lng=lng, lat=lat,
            placed=placed, placed_at=placed_at, placed_at_name=name(placed_at), community=row.community,
            grid=row.grid, district=district, district_name=name(district), holder_unit=row.holder_unit,
            holder_name=name(row.holder_unit), channel=row.channel, address=row.address or "",
            reported_at=row.reported_at, due_at=row.due_at, due_provisional=bool(row.due_provisional)))
    return found
