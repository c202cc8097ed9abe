"""Cameras of the video-detection system: registered with a code, a name, a location and the
responsibility grid they watch (which gives the community their cases belong to)."""
import re
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base
from engine.models import UTCDateTime

from ..errors import Invalid

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")


class CameraError(Invalid):
    """A camera registration (or a detection naming a camera) that is not valid; the message says why."""

    def __init__(self, message, field="camera"):
        super().__init__(message, field)


class Camera(Base):
    __tablename__ = "cameras"
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    grid: Mapped[str] = mapped_column(ForeignKey("units.code"))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_detection_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def get(session, code):
    return session.get(Camera, code)


def get_all(session):
    return list(session.scalars(select(Camera).order_by(Camera.code)))


def create(session, directory, *, code, name, grid, lat, lng, at):
    """Register a camera watching `grid`; raises CameraError for bad or duplicate input."""
    if not CODE.match(code or ""):
        raise CameraError("a camera code is 1-50 letters, digits, '.', '_' or '-'")
    if not (name or "").strip() or len(name) > 200:
        raise CameraError("a camera needs a name (at most 200 characters)")
    if directory.kind(grid) != "grid":
        raise CameraError(f"unknown grid {grid!r}")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise CameraError("lat must be within -90..90 and lng within -180..180")
    if get(session, code) is not None:
        raise CameraError(f"camera {code!r} exists already")
    camera = Camera(code=code, name=name.strip(), grid=grid, lat=lat, lng=lng, active=True, created_at=at)
    session.add(camera)
    session.flush()
    return camera
