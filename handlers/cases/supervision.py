"""督办 by hand: the shift lead or a supervisor presses the unit holding an open case. The
exchange itself is the diagram's (the case process's `supervise` message: the 督办 reaches the
holding unit as its `supervise_reply` step, which it answers with what it will do and by when);
this module only checks who may start one and delivers the message in one unit of work. The
overdue timer starts the same exchange through the shift lead's `supervise` step."""
from marshmallow import fields

from engine import instances

from ..errors import PermissionDenied, StateConflict
from ..forms import FormSchema, length
from ..org import capabilities
from ..process import contract
from . import messages
from .penalties import current_holder
from .statuses import IN_HANDLING
from .suspension import SUSPENDED
from .visibility import can_see


# The case page offers the form in these statuses; `start` asks the process too. Not a suspended
# case (挂起): its clock stands still until it is resumed, and nobody is to act on it meanwhile.
PRESSABLE = tuple(status for status in IN_HANDLING if status != SUSPENDED)


class SupervisionError(StateConflict):
    """A 督办 the case cannot take now (ended, or not being dispatched and handled)."""


class SuperviseFormSchema(FormSchema):
    """What the one who presses writes: the 督办意见."""

    comment = fields.String(required=True, validate=length(min=1, max=1000))


def may_supervise(directory, user, case) -> bool:
    """Whether `user` may start a 督办 on `case` (its role, and the case within what they see)."""
    return capabilities.can(user, "supervise") and can_see(directory, user, case)


def start(session, runtime, directory, *, user, case, data):
    """Start a 督办 on `case` as `user` with form `data` ({"comment"}); returns the unit pressed.

    Raises PermissionDenied, ValidationError (422 with field messages), SupervisionError (409: the
    case is not in 派遣处置, or is suspended) or instances.Conflict (the case changed meanwhile)."""
    if not may_supervise(directory, user, case):
        raise PermissionDenied("无权督办此案件")
    form = SuperviseFormSchema().load(data)
    loaded = messages.load(session, runtime, case, user=user)
    holder = current_holder(loaded.workflow)
    # The process says whether a 督办 is awaited; the status keeps it to 派遣处置 (after it, on the
    # way to 结案, the diagram's loop of 督办 still waits until the case closes).
    if case.status == SUSPENDED:
        raise SupervisionError("案件已挂起，恢复处置后方可督办")
    if case.status not in PRESSABLE or holder is None \
            or not instances.waits_for_message(loaded, contract.SUPERVISE_MESSAGE):
        raise SupervisionError("案件不在派遣处置阶段，不能督办")
    messages.deliver(session, runtime, loaded, contract.SUPERVISE_MESSAGE, user=user, comment=form["comment"])
    return holder
