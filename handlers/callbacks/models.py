"""The callback of an external client: where its results go and the secret they are signed with
(encrypted, see `signing`). One row per client that has one; no row, no messages."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base
from engine.models import UTCDateTime


class ClientCallback(Base):
    __tablename__ = "client_callbacks"
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret_encrypted: Mapped[str] = mapped_column(Text)       # Fernet token of the signing secret
    secret_fingerprint: Mapped[str] = mapped_column(String(16))   # tells secrets apart without showing one
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    set_by: Mapped[str | None] = mapped_column(String(100))
    secret_set_at: Mapped[datetime] = mapped_column(UTCDateTime)
