"""Who sees a case, defined once: the command center, process owners, auditors and admins see
every case (`org.capabilities`, "see_all_cases"); anyone else sees a case when one of its units
lies in their own unit's subtree. A case's units are where it is (its community and grid) and
every unit it has reached on its way (holders, handlers, reviewers, the dispatch chain); a unit
that has returned a case still sees it.

The rule is written twice, on purpose and side by side: in Python for one case (`can_see`) and as
an SQL predicate for lists (`visible_clause`). Both read the same units (`units_of`, stored on the
row). For SQL they are indexed by the case row's listener (`summary`) in `case_units` together with every unit above
them (`seeing`): the units that see the case. "One of its units lies in my subtree" is then "my
unit is among those that see it", one equality on the (unit_code, case_id) index, whose rows a
count reads without touching the cases (an `EXISTS` over the user's subtree probed the index once
per case instead). A test keeps the two forms in agreement. What belongs to a place rather than to
a case (a camera on its grid) is seen by the same rule applied to that one unit (`sees_unit`)."""
from types import SimpleNamespace

from sqlalchemy import delete, exists, false, func, insert, select, true

from ..org import capabilities
from ..org.models import Unit
from .models import UNIT_COPIES, Case, CaseUnit


def units_of(case, state=None) -> set:
    """The units a case belongs to: its place, what it reached before, and what the process state
    names now (`state`: a process.contract.CaseState, when the process has just moved)."""
    found = {u for u in (case.community, case.grid, *(case.reached or [])) if u}
    if state is not None:
        found |= state.units
    return found


def subtree(directory, code):
    """The unit and every unit below it."""
    found, seen, todo = [], set(), [code]
    while todo:
        unit = todo.pop()
        if unit in seen:
            continue
        seen.add(unit)
        found.append(unit)
        todo.extend(directory.children(unit))
    return found


def can_see(directory, user, case) -> bool:
    """Whether `user` may see `case` (one case, in Python)."""
    if capabilities.can(user, "see_all_cases"):
        return True
    return any(directory.is_within(unit, user.unit_code) for unit in units_of(case))


def sees_unit(directory, user, unit) -> bool:
    """Whether `unit` lies within what `user` sees (everything, or their subtree): for what belongs to
    one place rather than to a case, e.g. a camera watching a grid. A case at that place is seen."""
    return capabilities.can(user, "see_all_cases") or directory.is_within(unit, user.unit_code)


def seeing(session, units, directory=None) -> set:
    """The units that see a case whose units are `units`: those and every unit above them, as
    `case_units` holds them. From the in-memory `directory` when it knows every one of them (a
    step's units: the units above a unit do not change while an open case is there, `org.units.move`
    refuses, and a unit the process's copy does not know yet is a new one); else, and for audits,
    read from the units table (one recursive query)."""
    if not units:
        return set()
    if directory is not None and all(directory.exists(u) for u in units):
        return {a for u in units for a in directory.ancestors(u)}
    table = Unit.__table__
    up = select(table.c.code).where(table.c.code.in_(sorted(units))).cte("seeing", recursive=True)
    up = up.union(select(table.c.parent_code).join(up, table.c.code == up.c.code)
                  .where(table.c.parent_code.is_not(None)))
    return set(units) | set(session.scalars(select(up.c.code)))


def unit_row(case, unit) -> dict:
    """The `case_units` row of `case` for one unit that sees it: the report instant and the
    case's columns the unit's list is filtered by (`UNIT_COPIES`), as the case row holds them now."""
    return dict(case_id=case.id, unit_code=unit, reported_at=case.reported_at,
                **{name: getattr(case, name) for name in UNIT_COPIES})


def reindex_below(session, code) -> int:
    """After the unit `code` moved (with its subtree) below another parent: the `case_units` rows of
    every case that one of its units lies in that subtree rebuilt from the units table as it is now
    (its units, and the units above them now). Only ended cases can be there (a unit with open cases
    is not moved: `org.units.move`), so no step writes these rows meanwhile. Returns how many cases."""
    session.flush()
    table = Unit.__table__
    below = select(table.c.code).where(table.c.code == code).cte("below", recursive=True)
    below = below.union(select(table.c.code).join(below, table.c.parent_code == below.c.code))
    affected = select(CaseUnit.case_id).where(CaseUnit.unit_code.in_(select(below.c.code)))
    copies = [getattr(Case, name) for name in UNIT_COPIES]      # the place among them
    found = session.execute(select(Case.id, Case.reached, Case.reported_at, *copies)
                            .where(Case.id.in_(affected))).all()
    if not found:
        return 0
    parents = dict(session.execute(select(table.c.code, table.c.parent_code)).all())

    def up_from(unit):                 # the unit and every unit above it now
        chain = []
        while unit is not None and unit not in chain:
            chain.append(unit)
            unit = parents.get(unit)
        return chain
    rows = []
    for case_id, reached, reported_at, *values in found:
        case = SimpleNamespace(id=case_id, reached=reached, reported_at=reported_at, **dict(zip(UNIT_COPIES, values)))
        rows += [unit_row(case, unit) for unit in sorted({a for own in units_of(case) for a in up_from(own)})]
    session.execute(delete(CaseUnit).where(CaseUnit.case_id.in_(affected)))
    session.execute(insert(CaseUnit), rows)
    return len(found)


def visible_clause(directory, user, *, probe=False):
    """The same rule as an SQL condition on `cases` (for lists and counts): the user's unit is
    among those that see the case. As the set of the cases their unit sees (`IN`: read once off the
    index, for counts and for sparse lists), or with `probe` as one index probe per case (`EXISTS`:
    for reading a list down its order's index, where a page needs only its first rows)."""
    if capabilities.can(user, "see_all_cases"):
        return true()
    if not user.unit_code:
        return false()
    if probe:
        return exists(select(CaseUnit.case_id).where(CaseUnit.case_id == Case.id,
                                                     CaseUnit.unit_code == user.unit_code))
    return Case.id.in_(select(CaseUnit.case_id).where(CaseUnit.unit_code == user.unit_code))


def count_visible(session, directory, user) -> int:
    """How many cases `user` sees: off the index alone (every case for those who see all)."""
    if capabilities.can(user, "see_all_cases"):
        return session.scalar(select(func.count()).select_from(Case))
    if not user.unit_code:
        return 0
    return session.scalar(select(func.count()).select_from(CaseUnit).where(CaseUnit.unit_code == user.unit_code))
