"""Events of a case that happen beside its process (photos added, a camera seeing the same
violation again): appended to the case's instance stream, so they sit in the same hash chain and
timeline as the steps. Replay ignores these kinds: they are not inputs of the process."""
from engine import instances


def record(session, *, case, kind, at, actor, data, step=None):
    """Append one event to the case's timeline (flushed, never committed here); raises
    instances.Conflict when the case changed meanwhile."""
    instances.record(session, case.instance_id, kind=kind, at=at, actor=actor, data=data, step=step)
