"""Deadlines after filing: extensions approved by the shift lead, and recomputation of the
deadlines that were provisional once official calendar data arrives for their year."""
from datetime import datetime

from sqlalchemy import select

from engine import instances

from . import cases


def _recomputed(calendar, data, extra_days=0):
    """due_at / warn_at / due_provisional for the case's total limit, from its filing time."""
    filed = datetime.fromisoformat(data["filed_at"])
    total = data["time_limit"] + (data.get("extended_days") or 0) + extra_days
    due = calendar.add_working_days(filed, total)
    warn = calendar.add_working_hours(filed, total * 7 * data.get("warning_share", 0.8))
    return {"due_at": due.at.isoformat(), "warn_at": warn.at.isoformat(),
            "due_provisional": due.provisional, "extended_days": (data.get("extended_days") or 0) + extra_days}


def make_extend_deadline(calendar):
    def extend_deadline(call, working_days):
        """Service `extend_deadline`: move the deadline (and its timers) by the approved working days."""
        if not working_days or working_days < 1:
            raise ValueError("an extension needs a positive number of working days")
        updates = _recomputed(calendar, call.task.data, int(working_days))
        instances.update_data(call.context.loaded, updates, reason=f"extension of {working_days} working days")
        return {"working_days": int(working_days), "due_at": updates["due_at"]}
    return extend_deadline


def provisional_cases(session, year):
    """Open cases with a provisional deadline whose count (filing to due, Beijing dates) touches `year`."""
    rows = session.scalars(select(cases.Case).where(cases.Case.due_provisional.is_(True),
                                                    cases.Case.status.not_in(list(cases.END_STATUS.values()))))
    return [c for c in rows if c.filed_at and c.due_at
            and c.filed_at.astimezone(cases.SHANGHAI).year <= year <= c.due_at.astimezone(cases.SHANGHAI).year]


def recompute_provisional(session, runtime, calendar, year, *, actor="calendar"):
    """Recompute the provisional deadlines touching `year` (after its data was loaded) and move
    their timers; returns [(case_no, old due, new due, still provisional)]."""
    changed = []
    for case in provisional_cases(session, year):
        loaded = instances.load(session, runtime, case.instance_id, actor=actor)
        data = loaded.main_task(exclude=cases.PARALLEL_STEPS).data
        updates = _recomputed(calendar, data)
        instances.update_data(loaded, updates, reason=f"official calendar data for {year} loaded",
                              external=True, context={"calendar_year": year})
        instances.save(session, runtime, loaded)
        changed.append((case.case_no, data.get("due_at"), updates["due_at"], updates["due_provisional"]))
    return changed
