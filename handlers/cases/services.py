"""The service tasks of the case process that belong to the case itself: merging a report into
the open case it duplicates, the yellow light's notice on the timeline, and which unit a 督办 goes to. (Penalties are
`penalties.record_penalty`, extensions `deadlines.make_extend_deadline`; `process.services`
registers them all by name.)"""
from .. import localtime
from .penalties import current_holder
from .service import open_duplicate


def merge_case(call, duplicate_of):
    """Service `merge_case`: link this report to the open case it duplicates."""
    if call.context.replay:   # it was checked when it happened; the target may be closed by now
        return {"merged_into": duplicate_of}
    open_duplicate(call.context.session, duplicate_of, instance_id=call.context.instance_id)
    call.context.record("merged", {"into": duplicate_of})
    return {"merged_into": duplicate_of}


def notify(call, kind):
    """Service `notify`: the yellow light; recorded on the case's timeline."""
    at = localtime.isoformat(call.now)
    call.context.record("notified", {"kind": kind, "at": at})
    return {"kind": kind, "at": at}


def holding_unit(call):
    """Service `holding_unit`: {"unit": the unit holding the case now} (a 督办 goes to it)."""
    unit = current_holder(call.task.workflow)
    if unit is None:
        raise ValueError("cannot tell which unit holds the case")
    return {"unit": unit}
