"""Suspension (挂起) as people see and end it. The exchange is the diagram's: the handling unit asks
(`handle` with action suspend, a reason and the expected resume date), the shift lead approves
(`approve_suspension`), the clock stops (`deadlines.make_suspend_clock`), and the case waits on its
`resume_case` step until the unit resumes it there, the shift lead resumes it by hand (the process's
`resume` message, delivered here) or the diagram's timer resumes it at the expected date; the
deadline then moves by the working time suspended (`deadlines.make_resume_clock`).

This module only says what a case's suspension is now (for the case page and the JSON), who may
resume it by hand, and delivers the shift lead's resume in one unit of work."""
from marshmallow import fields
from sqlalchemy import select

from engine import instances
from engine.models import Event

from ..errors import PermissionDenied, StateConflict
from ..forms import FormSchema, length
from ..process import contract
from . import messages

SUSPENDED = "suspended"      # the case status while the clock stands still
RESUME_STEP = "resume_case"  # the holding unit's step that resumes it


class SuspensionError(StateConflict):
    """A resume the case cannot take now (it is not suspended)."""


class ResumeFormSchema(FormSchema):
    """What the shift lead writes when resuming by hand."""

    comment = fields.String(load_default="", validate=length(max=1000))


def current(session, case) -> dict | None:
    """The suspension of a case while it is suspended (None otherwise): reason, resume_on,
    suspended_at, resume_at (when the diagram's timer resumes it), as the step that stopped the
    clock recorded it (its `data_changed` event; one indexed query, and only for a suspended case)."""
    if case.status != SUSPENDED:
        return None
    rows = session.scalars(select(Event.data).where(Event.instance_id == case.instance_id, Event.kind == "data_changed")
                           .order_by(Event.seq.desc()))
    for data in rows:
        found = ((data or {}).get("after") or {}).get("suspension")
        if found:
            return {k: found.get(k) for k in ("reason", "resume_on", "suspended_at", "resume_at")}
    return None


def may_resume(user, case) -> bool:
    """Whether `user` may resume `case` by hand on the case page (the shift lead, while suspended;
    the holding unit resumes through its `resume_case` task)."""
    return user.role == "shiftlead" and case.status == SUSPENDED


def resume(session, runtime, *, user, case, data):
    """Resume a suspended case as the shift lead with form `data` ({"comment"}).

    Raises PermissionDenied, ValidationError (422), SuspensionError (409: not suspended) or
    instances.Conflict (the case changed meanwhile)."""
    if user.role != "shiftlead":
        raise PermissionDenied("只有值班长可以直接恢复挂起的案件")
    form = ResumeFormSchema().load(data)
    loaded = messages.load(session, runtime, case, user=user)
    if case.status != SUSPENDED or not instances.waits_for_message(loaded, contract.RESUME_MESSAGE):
        raise SuspensionError("案件未挂起，不能恢复")
    messages.deliver(session, runtime, loaded, contract.RESUME_MESSAGE, user=user, comment=form["comment"])
    return case
