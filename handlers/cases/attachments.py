"""Photos attached to a case (before, after, on-site check, camera snapshot): checked by their
bytes (JPEG, PNG or WebP only, size-limited), stored under a generated name in the upload folder,
never under a name or path taken from the client."""
import hashlib
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base
from engine.models import UTCDateTime

from ..errors import Invalid

KINDS = ("before", "after", "check", "snapshot")
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


class AttachmentError(Invalid):
    """A refused upload; the message says why (shown to the user)."""

    def __init__(self, message, field="photos"):
        super().__init__(message, field)


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    step: Mapped[str | None] = mapped_column(String(100))     # the step it was uploaded with, if any
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(30))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str | None] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


def sniff(data: bytes):
    """(content type, extension) from the file's own bytes, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg", "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png", "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def store(session, *, folder, case, kind, data: bytes, user, at, step=None, max_bytes=DEFAULT_MAX_BYTES):
    """Check and save one photo; returns the Attachment (flushed, not committed).

    The file is written before the row; if the transaction then fails, an orphan file may remain
    but never a row without its file.
    """
    if kind not in KINDS:
        raise AttachmentError(f"unknown photo kind {kind!r}")
    if not data:
        raise AttachmentError("空文件")
    if len(data) > max_bytes:
        raise AttachmentError(f"照片超过 {max_bytes // (1024 * 1024)} MB 上限")
    sniffed = sniff(data)
    if sniffed is None:
        raise AttachmentError("只接受 JPEG、PNG 或 WebP 图片")
    content_type, ext = sniffed
    name = f"{uuid.uuid4().hex}.{ext}"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    attachment = Attachment(case_id=case.id, kind=kind, step=step, stored_name=name, content_type=content_type,
                            size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                            uploaded_by=getattr(user, "username", user), uploaded_at=at)
    session.add(attachment)
    session.flush()
    return attachment


def path_of(folder, attachment):
    return Path(folder) / attachment.stored_name


def for_case(session, case_id):
    return list(session.scalars(select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)))
