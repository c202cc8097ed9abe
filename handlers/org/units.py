"""Changing the unit tree (the admins' 组织机构 page): add a unit, rename it, move it under another
parent, set its centre point for the map, deactivate it or take it back into service. Each change
is checked against the tree's rules (a kind sits below its one parent kind, no unit below itself),
recorded on the system chain (`journal`) and bumps the `org` stamp, so that every process loads
the tree again at its next request (`directory`).

Units are never deleted: cases, events and past evaluations keep naming them. A deactivated unit
stays in the tree under its name and takes no new work. A unit that still holds open cases (located
in, held or handled within its subtree: the case list's `unit` filter) can be neither deactivated
nor moved, since its cases' chain of units would change under them; the refusal says how many and
the page links the list of exactly those cases. Nor while units below it or users in it are still
active: those are deactivated (or moved) first, each its own recorded change."""
from sqlalchemy import func, select

from engine import stamps

from ..errors import StateConflict
from . import journal
from .models import Unit, User
from .service import OrgError, create_unit

# The kind of unit each kind sits below (the command center is the one root).
PARENT_KIND = {"district": "center", "department": "center", "street": "district", "community": "street",
               "grid": "community"}
STAMP = "org"


class UnitBusy(StateConflict):
    """The unit still holds open cases (or active units or users): it cannot be deactivated or moved (409)."""

    def __init__(self, message, *, code, open_cases=0):
        super().__init__(message, "unit")
        self.code, self.open_cases = code, open_cases


def snapshot(unit):
    """What the journal records of a unit."""
    return {"code": unit.code, "name": unit.name, "kind": unit.kind, "parent_code": unit.parent_code,
            "lng": unit.lng, "lat": unit.lat, "active": unit.active}


def get_or_refuse(session, code, field="unit"):
    unit = session.get(Unit, code) if code else None
    if unit is None:
        raise OrgError(f"未知单位 {code}", field)
    return unit


def _check_parent(session, kind, parent_code, field="parent_code"):
    parent = get_or_refuse(session, parent_code, field)
    wanted = PARENT_KIND.get(kind)
    if parent.kind != wanted:
        raise OrgError(f"{parent.name} 不能作为该类单位的上级（须为{KIND_NAMES.get(wanted, wanted)}）", field)
    if not parent.active:
        raise OrgError(f"{parent.name} 已停用", field)
    return parent


KIND_NAMES = {"center": "指挥中心", "district": "区", "street": "街道（镇）", "community": "社区", "grid": "网格",
              "department": "市直部门或国有企业"}


def _changed(session, *, kind, actor, at, unit, before):
    session.flush()
    stamps.bump(session, STAMP)
    journal.record(session, kind=kind, actor=actor, at=at, subject=f"unit:{unit.code}", before=before,
                   after=snapshot(unit))
    return unit    # every process, this one too, loads the tree again at its next request (the stamp)


def add(session, *, actor, at, code, name, kind, parent_code, lng=None, lat=None):
    """Add a unit below `parent_code`; raises OrgError for a taken code or a parent of the wrong kind."""
    if session.get(Unit, code) is not None:
        raise OrgError(f"单位代码 {code} 已被使用", "code")
    _check_parent(session, kind, parent_code)
    unit = create_unit(session, code=code, name=name.strip(), kind=kind, parent_code=parent_code)
    unit.lng, unit.lat, unit.active = lng, lat, True
    return _changed(session, kind="unit_added", actor=actor, at=at, unit=unit, before={})


def rename(session, *, actor, at, code, name):
    unit = get_or_refuse(session, code)
    before = snapshot(unit)
    unit.name = name.strip()
    return _changed(session, kind="unit_renamed", actor=actor, at=at, unit=unit, before=before)


def set_centre(session, *, actor, at, code, lng, lat):
    """Set (or, with None, clear) the unit's centre point."""
    unit = get_or_refuse(session, code)
    before = snapshot(unit)
    unit.lng, unit.lat = lng, lat
    return _changed(session, kind="unit_centre_set", actor=actor, at=at, unit=unit, before=before)


def _refuse_open_cases(unit, open_cases, doing):
    count = open_cases(unit.code)
    if count:
        raise UnitBusy(f"{unit.name} 仍有 {count} 件在办案件，不能{doing}：请先办结或转派这些案件",
                       code=unit.code, open_cases=count)


def move(session, *, actor, at, code, parent_code, open_cases, moved):
    """Put the unit (with its subtree) below another parent of the right kind. `open_cases(code)`
    counts the open cases of a unit's subtree (`cases.service.open_in_unit`): none may be open.
    `moved(session, code)` then brings up to date what is indexed by the tree (the units that see
    each case: `cases.visibility.reindex_below`)."""
    unit = get_or_refuse(session, code)
    if unit.kind == "center":
        raise OrgError("指挥中心没有上级单位", "parent_code")
    if parent_code == unit.parent_code:
        raise OrgError("已在该上级单位之下", "parent_code")
    _check_parent(session, unit.kind, parent_code)
    _refuse_open_cases(unit, open_cases, "调整上级")
    before = snapshot(unit)
    unit.parent_code = parent_code
    moved(session, code)
    return _changed(session, kind="unit_moved", actor=actor, at=at, unit=unit, before=before)


def deactivate(session, *, actor, at, code, open_cases):
    """Take the unit out of service: refused (UnitBusy) while it holds open cases, or units below it
    or users in it are still active."""
    unit = get_or_refuse(session, code)
    if unit.kind == "center":
        raise OrgError("指挥中心不能停用", "unit")
    if not unit.active:
        raise OrgError(f"{unit.name} 已停用", "unit")
    _refuse_open_cases(unit, open_cases, "停用")
    children = session.scalar(select(func.count()).where(Unit.parent_code == code, Unit.active.is_(True)))
    if children:
        raise UnitBusy(f"{unit.name} 下仍有 {children} 个在用的下级单位，请先停用或调出", code=code)
    users = session.scalar(select(func.count()).where(User.unit_code == code, User.active.is_(True)))
    if users:
        raise UnitBusy(f"{unit.name} 仍有 {users} 个在用的用户账号，请先停用或调到其他单位", code=code)
    before = snapshot(unit)
    unit.active = False
    return _changed(session, kind="unit_deactivated", actor=actor, at=at, unit=unit, before=before)


def reactivate(session, *, actor, at, code):
    unit = get_or_refuse(session, code)
    if unit.active:
        raise OrgError(f"{unit.name} 在用中", "unit")
    if unit.parent_code and not get_or_refuse(session, unit.parent_code).active:
        raise OrgError("上级单位已停用，请先启用上级单位", "unit")
    before = snapshot(unit)
    unit.active = True
    return _changed(session, kind="unit_reactivated", actor=actor, at=at, unit=unit, before=before)


def tree(session):
    """Every unit, parents before children, each with its depth: [(unit, depth)]."""
    units = list(session.scalars(select(Unit).order_by(Unit.code)))
    below = {}
    for unit in units:
        below.setdefault(unit.parent_code, []).append(unit)
    out, todo = [], [(u, 0) for u in reversed(below.get(None, []))]
    while todo:
        unit, depth = todo.pop()
        out.append((unit, depth))
        todo.extend((child, depth + 1) for child in reversed(below.get(unit.code, [])))
    return out
