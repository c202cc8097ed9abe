"""The tables of notifications: one row per notification and recipient, and the outbox of
messages for the outbound gateway (one per notification that goes out, and one per result sent
back to a channel, kind `callback`) with the record of each delivery attempt."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base
from engine.models import UTCDateTime


class Notification(Base):
    """What one person was told: a kind, the case, a Chinese text, the task it points to (if any)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))            # kinds.KINDS
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    case_no: Mapped[str] = mapped_column(String(20))
    task_id: Mapped[str | None] = mapped_column(String(36))  # the task it announces (else it is about the case)
    text: Mapped[str] = mapped_column(Text)
    # What caused it: `task:<task id>` or `event:<instance id>:<seq>`; once per cause and recipient.
    source: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("source", "user_id"),
                      Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
                      Index("ix_notifications_user_id_created_at", "user_id", "created_at"))


class OutboxMessage(Base):
    """A message for the outbound gateway, written in the same transaction as its notification and
    delivered later by the sweep (`outbox.deliver`). Every change of state is version-checked."""

    __tablename__ = "outbox_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    # what it carries: a notification, or (kind `callback`) a case's result for the client that reported it
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"),
                                                        unique=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)   # the receiver drops repeats by it
    kind: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(100))      # the username (the gateway knows their number), the client
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))          # pending, sending, sent, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)   # since it was queued or last retried by hand
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    response_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
                      Index("ix_outbox_messages_client_id_id", "client_id", "id"))
    # Optimistic locking: every UPDATE says WHERE version = <what we read>.
    __mapper_args__ = {"version_id_col": version}


class OutboxAttempt(Base):
    """One delivery attempt of a message: when, its answer (HTTP status) or error."""

    __tablename__ = "outbox_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    response_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
