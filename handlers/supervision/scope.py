"""The scope of a dashboard: the unit whose situation is shown (the viewer's own, or any unit of the
subtree they see: the picker), its cases as case-list filters, the units of the next level down
and the way back up to the viewer's own unit."""
from engine import instances

from ..cases import search
from ..cases.visibility import subtree
from ..org import capabilities

# the kinds of unit a dashboard is watched for (a grid only by its own grid worker)
WATCHED = ("center", "district", "street", "community", "department")
RATED = ("district", "street", "community", "department")   # the evaluation's unit levels


def top(directory, viewer):
    """The highest unit the viewer may watch: the city for who sees every case, else their own unit."""
    return directory.center() if capabilities.can(viewer, "see_all_cases") else viewer.unit_code


def resolve(directory, viewer, unit=None):
    """The scope: `unit`, or the viewer's own unit. NotFound for a unit that does not exist or lies
    outside the viewer's subtree (as if it did not exist, like the evaluation's units)."""
    code = unit or viewer.unit_code
    if not directory.exists(code) or code not in subtree(directory, top(directory, viewer)):
        raise instances.NotFound(f"单位 {code} 不存在")
    return code


def choices(directory, viewer) -> list[dict]:
    """The units the viewer may pick, in tree order (depth first, by code), each with its depth below
    the viewer's top unit."""
    found = []

    def walk(code, depth):
        if directory.kind(code) in WATCHED or code == viewer.unit_code:
            found.append(dict(code=code, name=directory.name(code), kind=directory.kind(code), depth=depth))
        for child in sorted(directory.children(code)):
            walk(child, depth + 1)
    walk(top(directory, viewer), 0)
    return found


def cases_of(directory, unit) -> search.Filters:
    """The scope's cases as case-list filters: those located in its subtree (the evaluation's areas);
    a city department, where nothing is located, the cases it holds or handled (the `unit` filter)."""
    if directory.kind(unit) == "department":
        return search.Filters(unit=unit)
    return search.Filters(area=unit)


def below(directory, unit) -> list[str]:
    """The units of the next level down that the evaluation rates (for the city: the districts and
    the city departments), by code."""
    return sorted(c for c in directory.children(unit) if directory.kind(c) in RATED)


def path(directory, viewer, unit) -> list[dict]:
    """The units from the viewer's top unit down to the scope (the way back up)."""
    chain = list(reversed(directory.ancestors(unit)))
    start = chain.index(top(directory, viewer))
    return [dict(code=code, name=directory.name(code), kind=directory.kind(code)) for code in chain[start:]]
