"""A staff member's act delivered to a case's process as a BPMN message (督办 by hand, 恢复 of a
suspended case): the instance loaded for it, and the payload every such message carries — who, in
which role, when, and their comment — received and saved as the instance's input (replays deliver
it again). Whether the act is allowed is the caller's to decide first."""
from engine import instances

from .. import localtime


def load(session, runtime, case, *, user):
    """The case's instance, loaded for `user`'s act (the case row kept for the listeners)."""
    loaded = instances.load(session, runtime, case.instance_id, actor=user.username)
    loaded.scratch["case"] = case
    return loaded


def deliver(session, runtime, loaded, name, *, user, comment):
    """Send the message `name` with `user`'s comment to the loaded instance and save it."""
    payload = {"comment": comment, "by": user.username, "role": user.role,
               "at": localtime.isoformat(loaded.context.at)}
    instances.receive_message(loaded, name, payload)
    instances.save(session, runtime, loaded)
