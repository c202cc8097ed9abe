"""The append-only, hash-chained event log: append, read and verify a stream."""
import hashlib
import json
from dataclasses import dataclass
from datetime import timezone

from sqlalchemy import event as sa_event, insert, select
from sqlalchemy.orm import Session

from . import direct
from .models import Event, EventHead
from .pipeline import PIPELINED

GENESIS = "0" * 64
SYSTEM = "system"


def instance_stream(instance_id):
    return f"instance:{instance_id}"


def _digest(prev_hash, stream, seq, at, kind, actor, instance_id, deployment_id, step, data):
    body = json.dumps([stream, seq, at.isoformat(), kind, actor, instance_id, deployment_id, step, data],
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _head(session, stream):
    """The last (seq, hash) of a stream, remembered per session so appends in one unit of work chain."""
    heads = session.info.setdefault("event_heads", {})
    if stream not in heads:
        row = session.execute(
            select(Event.seq, Event.hash).where(Event.stream == stream).order_by(Event.seq.desc()).limit(1)
        ).first()
        heads[stream] = (row.seq, row.hash) if row else (0, GENESIS)
    return heads[stream]


def append(session, *, stream, kind, at, actor=None, instance_id=None, deployment_id=None, step=None, data=None):
    """Append one event to a stream; (stream, seq) is unique, so a racing append fails loudly."""
    data = json.loads(json.dumps(data or {}, default=str))  # exactly what will be stored and hashed
    at = at.astimezone(timezone.utc)
    seq, prev = _head(session, stream)
    seq += 1
    digest = _digest(prev, stream, seq, at, kind, actor, instance_id, deployment_id, step, data)
    event = Event(stream=stream, seq=seq, at=at, kind=kind, actor=actor, instance_id=instance_id,
                  deployment_id=deployment_id, step=step, data=data, prev_hash=prev, hash=digest)
    session.add(event)
    session.info["event_heads"][stream] = (seq, digest)
    _record_head(session, stream, seq, digest)
    return event


def chain(head, *, stream, rows):
    """Hash-chain event rows after a known head (seq, hash): returns ((seq, hash) of the new head,
    the rows ready to insert). For streams whose head is kept under a version check (instances)."""
    seq, prev = head
    values = []
    for row in rows:
        data = json.loads(json.dumps(row.get("data") or {}, default=str))
        at = row["at"].astimezone(timezone.utc)
        seq += 1
        digest = _digest(prev, stream, seq, at, row["kind"], row.get("actor"), row.get("instance_id"),
                         row.get("deployment_id"), row.get("step"), data)
        values.append(dict(stream=stream, seq=seq, at=at, kind=row["kind"], actor=row.get("actor"),
                           instance_id=row.get("instance_id"), deployment_id=row.get("deployment_id"),
                           step=row.get("step"), data=data, prev_hash=prev, hash=digest))
        prev = digest
    return (seq, prev), values


# plain Core, built once (no ORM bulk path on every step); nothing read back: a step may pipeline it
_INSERT = insert(Event.__table__).inline().execution_options(**PIPELINED)


def insert_rows(session, values):
    """One INSERT for rows made by `chain`."""
    if values:
        direct.send(session.connection(), _INSERT, values)


def _record_head(session, stream, seq, digest):
    """Keep the stream's head in event_heads (one row per stream, updated in this unit of work)."""
    rows = session.info.setdefault("event_head_rows", {})
    row = rows.get(stream)
    if row is None:
        with session.no_autoflush:   # a racing duplicate fails at the flush of the event, loudly
            row = session.get(EventHead, stream)
        if row is None:
            row = EventHead(stream=stream)
            session.add(row)
        rows[stream] = row
    row.seq, row.hash = seq, digest


def forget_heads(session):
    """Drop remembered heads (after a rollback they may be ahead of the database)."""
    session.info.pop("event_heads", None)
    session.info.pop("event_head_rows", None)


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_heads_after_rollback(session, previous_transaction):
    # Any rollback, a savepoint's too, may undo appends that moved a head: read it again next time.
    forget_heads(session)


def get_stream(session, stream):
    return list(session.scalars(select(Event).where(Event.stream == stream).order_by(Event.seq)))


@dataclass
class ChainCheck:
    ok: bool
    events: int
    problem: str | None = None


def verify_stream(session, stream, head=None) -> ChainCheck:
    """Recompute the chain: an edited, deleted or inserted event breaks it. Against the `head`
    (seq, hash) the stream should end at (an instance row keeps its own; other streams' heads are
    in event_heads), so do removed newest events and events appended past it."""
    if head is None:
        recorded = session.get(EventHead, stream)
        head = (recorded.seq, recorded.hash) if recorded else None
    prev, expected_seq = GENESIS, 1
    events = get_stream(session, stream)
    for event in events:
        if event.seq != expected_seq:
            return ChainCheck(False, len(events), f"event #{expected_seq} of {stream} is missing")
        if event.prev_hash != prev:
            return ChainCheck(False, len(events), f"event #{event.seq} of {stream} does not follow its predecessor")
        digest = _digest(prev, event.stream, event.seq, event.at, event.kind, event.actor, event.instance_id,
                         event.deployment_id, event.step, event.data)
        if digest != event.hash:
            return ChainCheck(False, len(events), f"event #{event.seq} of {stream} ({event.kind}) was altered")
        prev, expected_seq = event.hash, expected_seq + 1
    if head is not None and (expected_seq - 1, prev) != tuple(head):
        return ChainCheck(False, len(events),
                          f"{stream} ends at event #{expected_seq - 1}, not at its recorded head #{head[0]}")
    return ChainCheck(True, len(events))
