"""Whether a case's derived rows are what its history says: the case row, its units, its penalties
and its steps are rebuilt from the case's hash-chained events and a replay of them, and compared
with what is stored. Deleting a penalty, editing the status or deadline, dropping a step: each is
named. (The rows are written in the same transaction as the steps that cause them; this is how an
auditor knows nobody changed them since.)"""
from sqlalchemy import select

from engine import events

from .. import localtime
from ..cases.models import UNIT_COPIES, CaseUnit
from ..cases.penalties import for_case as penalties_of
from ..cases.visibility import seeing, units_of
from ..evaluation import steps as steps_module

ROW_FIELDS = ("status", "urgency", "category", "filed_at", "due_at", "warn_at", "due_provisional", "holder_unit",
              "handler_unit", "merged_into", "closed_at", "overdue_from", "rework_count")


def _show(value):
    return localtime.isoformat(value) if hasattr(value, "astimezone") else value


def _penalties(stream):
    """The penalties the case's events recorded: (unit, points, reason, occurrence or None, due or the event's at)."""
    found = []
    for event in stream:
        if event.kind == "penalty":
            data = event.data or {}
            due = localtime.parse(data["due_at"]) if data.get("due_at") else event.at
            found.append((data.get("unit"), float(data.get("points")), data.get("reason"), data.get("occurrence"), due))
    return found


def differences(session, runtime, case) -> list[str]:
    """What differs between the stored derived rows of a case and their rebuild (empty: none);
    a replay that does not match its stored state is reported as such."""
    stream = events.get_stream(session, events.instance_stream(case.instance_id))
    rebuilt_steps, follower, result = steps_module.expected(session, runtime, case)
    if not result.ok:
        return [f"replay differs: {result.problem}"]
    found, row = [], follower.row
    recorded = _penalties(stream)
    row.rework_count = sum(1 for p in recorded if p[2] == "rework")
    for name in ROW_FIELDS:
        stored, expected = getattr(case, name), getattr(row, name)
        if stored != expected and not (name == "rework_count" and not stored and not expected):
            found.append(f"case {name} is {_show(stored)!s}, its history says {_show(expected)!s}")
    expected_units = units_of(row)
    if set(case.reached or []) != expected_units:
        found.append(f"case units are {sorted(case.reached or [])}, its history says {sorted(expected_units)}")
    unit_rows = session.scalars(select(CaseUnit).where(CaseUnit.case_id == case.id)).all()
    indexed = {unit_row.unit_code for unit_row in unit_rows}
    expected_index = seeing(session, expected_units)
    if indexed != expected_index:
        found.append(f"the case_units index holds {sorted(indexed)}, its history says {sorted(expected_index)}")
    for name in UNIT_COPIES:    # the case's columns its units' rows hold (the list's filters)
        copies = {getattr(unit_row, name) for unit_row in unit_rows} - {getattr(row, name)}
        if copies:
            found.append(f"the case_units rows hold {name} {', '.join(sorted(str(_show(c)) for c in copies))}, "
                         f"its history says {_show(getattr(row, name))!s}")
    found.extend(_penalty_differences(penalties_of(session, case.id), recorded))
    found.extend(_step_differences(steps_module.stored(session, case.id), rebuilt_steps))
    return found


def _penalty_differences(rows, recorded):
    problems = []
    remaining = list(recorded)
    for row in rows:
        match = next((p for p in remaining if (p[0], p[1], p[2]) == (row.unit_code, row.points, row.reason)
                      and (p[3] is None or p[3] == row.occurrence) and p[4] == (row.due_at if p[3] else row.at)), None)
        if match is None:
            problems.append(f"penalty {row.unit_code} {row.points:g} {row.reason} due {_show(row.due_at)} "
                            "is not in the case's history (extra or altered)")
        else:
            remaining.remove(match)
    for unit, points, reason, _occurrence, due in remaining:
        problems.append(f"penalty {unit} {points:g} {reason} due {_show(due)} is missing")
    return problems


def _step_differences(stored, expected):
    if stored == expected:
        return []
    for a, b in zip(stored, expected):
        if a != b:
            return [f"step #{b.seq} ({b.step}) is stored as {a}, its history says {b}"]
    if len(stored) < len(expected):
        return [f"step #{expected[len(stored)].seq} ({expected[len(stored)].step}) is missing"]
    return [f"step #{stored[len(expected)].seq} ({stored[len(expected)].step}) is not in the case's history"]
