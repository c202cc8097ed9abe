"""Cameras of the video-detection system: registered with a code, a name, a location and the
responsibility grid they watch (which gives the community their cases belong to)."""
import re
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base
from engine.models import UTCDateTime

from ..errors import Invalid
from ..org import journal

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


def _record(camera):
    return {"code": camera.code, "name": camera.name, "grid": camera.grid, "lat": camera.lat, "lng": camera.lng,
            "active": camera.active}


def create(session, directory, *, code, name, grid, lat, lng, at, actor="cli"):
    """Register a camera watching `grid` (recorded on the system chain by `actor`); raises
    CameraError for bad or duplicate input."""
    if not CODE.match(code or ""):
        raise CameraError("摄像头编号为 1–50 位字母、数字、点、下划线或连字符", "code")
    if not (name or "").strip() or len(name) > 200:
        raise CameraError("请填写摄像头名称（不超过 200 个字符）", "name")
    if directory.kind(grid) != "grid" or not directory.is_active(grid):
        raise CameraError(f"未知或已停用的网格 {grid}", "grid")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise CameraError("纬度须在 -90 到 90 之间，经度须在 -180 到 180 之间", "lat")
    if get(session, code) is not None:
        raise CameraError(f"摄像头 {code} 已存在", "code")
    camera = Camera(code=code, name=name.strip(), grid=grid, lat=lat, lng=lng, active=True, created_at=at)
    session.add(camera)
    session.flush()
    journal.record(session, kind="camera_added", actor=actor, at=at, subject=f"camera:{code}", after=_record(camera))
    return camera


def set_active(session, directory, *, code, active, at, actor):
    """Take a camera out of service (its detections are refused) or back into it."""
    camera = get(session, code)
    if camera is None:
        raise CameraError(f"未知摄像头 {code}", "code")
    if camera.active == active:
        raise CameraError(f"摄像头 {code} 已{'在用' if active else '停用'}", "code")
    if active and not directory.is_active(camera.grid):
        raise CameraError(f"网格 {directory.name(camera.grid)} 已停用", "grid")
    before = _record(camera)
    camera.active = active
    session.flush()
    journal.record(session, kind="camera_reactivated" if active else "camera_deactivated", actor=actor, at=at,
                   subject=f"camera:{code}", before=before, after=_record(camera))
    return camera
