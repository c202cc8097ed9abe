"""The engine's tables: deployments (and which one is current for each process), instances, the timer table, the event log, the simulated clock,
the scheduler's lease and the sweep's heartbeat."""
from datetime import datetime, timezone

from sqlalchemy import (Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, JSON)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from .db import Base


class UTCDateTime(TypeDecorator):
    """Aware datetimes stored as naive UTC (SQLite keeps no zone); always read back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Deployment(Base):
    """An immutable, content-hashed set of BPMN/DMN files and their parsed spec."""

    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(primary_key=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    process_id: Mapped[str] = mapped_column(String(200))
    files: Mapped[dict] = mapped_column(JSON)          # filename -> XML text, as deployed
    spec: Mapped[str] = mapped_column(Text)            # serialized SpiffWorkflow specs (JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")


class CurrentDeployment(Base):
    """Which deployment of a process new instances start on: set by each new deployment and by
    making an earlier one current again (each change is an event on the system stream)."""

    __tablename__ = "current_deployments"
    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str | None] = mapped_column(String(100))


class Instance(Base):
    """One running process; `state` (SpiffWorkflow JSON without specs) is the truth about it."""

    __tablename__ = "instances"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    # Deferred: read only when the workflow is not in the process's cache (tens of KB a step, mostly).
    state: Mapped[str] = mapped_column(Text, deferred=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    end_event: Mapped[str | None] = mapped_column(String(200))
    timers_digest: Mapped[str] = mapped_column(String(64), default="")
    # Head of the instance's event chain: kept here, under the version check, so appending needs
    # no read and two racing units of work cannot both extend the chain.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    event_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Optimistic locking: every UPDATE says WHERE version = <what we read>.
    __mapper_args__ = {"version_id_col": version}


class Timer(Base):
    """A waiting timer of an instance, derived from its state after every step."""

    __tablename__ = "timers"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    spec_name: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)


class Event(Base):
    """Append-only, hash-chained log; one chain per stream (an instance, or the system)."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    stream: Mapped[str] = mapped_column(String(100))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(50))
    actor: Mapped[str | None] = mapped_column(String(100))
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    deployment_id: Mapped[int | None] = mapped_column(Integer)
    step: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("stream", "seq"),)


class EventHead(Base):
    """The last (seq, hash) of a stream whose head is not kept elsewhere (the system stream), so
    that deleting its newest events is detected; instance streams keep theirs on the instance."""

    __tablename__ = "event_heads"
    stream: Mapped[str] = mapped_column(String(100), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class SimClock(Base):
    """The simulated clock's current instant (one row), shared by every process of the app."""

    __tablename__ = "sim_clock"
    id: Mapped[int] = mapped_column(primary_key=True)
    now: Mapped[datetime] = mapped_column(UTCDateTime)


class Lease(Base):
    """Who may run a job that must run in one process at a time (the scheduler's sweeps), until
    when: a holder renews it while it works; a holder that dies lets it lapse (engine.lease)."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SweepHeartbeat(Base):
    """The timer sweep's sign of life (one row), on real time: when a sweeper last worked, and
    what the last complete sweep did; read by the readiness check and the metrics."""

    __tablename__ = "sweep_heartbeat"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)                  # last sign of a working sweep
    by: Mapped[str] = mapped_column(String(200))                       # which sweeper
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # end of the last complete sweep
    seconds: Mapped[float | None] = mapped_column(Float)               # how long it took
    instances: Mapped[int] = mapped_column(Integer, default=0)         # instances it fired timers on
    fired: Mapped[int] = mapped_column(Integer, default=0)             # timers it fired


class Stamp(Base):
    """A version number per cached dataset (`engine.stamps`): bumped in the transaction that changes
    the data, compared by every process before it serves from its own copy."""

    __tablename__ = "stamps"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
