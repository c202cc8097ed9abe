"""Video detection (视频智能识别): a camera reports a violation with a snapshot. The first
detection of a violation at a camera files a case on the camera's grid; further detections of the
same violation at the same camera while that case is open are attached to it (the snapshot and an
event on its timeline), never filed again. A detector's retry of the same event id changes nothing.
"""
from datetime import datetime

from marshmallow import ValidationError, fields, validate
from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base
from engine.models import UTCDateTime

from .. import localtime
from ..cases import photos, side_events
from ..cases.forms import ReportSchema
from ..cases.models import Case
from ..cases.service import report
from ..cases.statuses import ENDED
from ..forms import FormSchema, between, instant, length
from . import cameras

REF = validate.Regexp(r"^[\x21-\x7e]+$", error="只能包含可见 ASCII 字符")


class VideoEventSchema(FormSchema):
    """A detection, as the detector posts it (the snapshot comes as a file beside these fields)."""

    camera = fields.String(required=True, validate=length(min=1, max=50),
                           metadata={"description": "the registered camera's code"})
    violation = fields.String(required=True, validate=length(min=1, max=50),
                              metadata={"description": "one of the twelve kinds, by code or Chinese name"})
    event_id = fields.String(required=True, validate=[length(min=1, max=49), REF],
                             metadata={"description": "the detector's own id of this event (idempotency key)"})
    # A detector's clock may be off, but not by decades: outside 2000-2098 it is bad input.
    detected_at = instant(load_default=None, allow_none=True)
    confidence = fields.Float(load_default=None, allow_none=True, validate=between(0, 1))
    description = fields.String(load_default="", validate=length(max=500))


class VideoDetection(Base):
    """One detection received, and the case it filed or was attached to."""

    __tablename__ = "video_detections"
    id: Mapped[int] = mapped_column(primary_key=True)
    camera_code: Mapped[str] = mapped_column(ForeignKey("cameras.code"))
    event_id: Mapped[str] = mapped_column(String(50))
    violation: Mapped[str] = mapped_column(String(50))          # the kind's code
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    filed: Mapped[bool] = mapped_column(Boolean)                 # True: this detection filed the case
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("camera_code", "event_id"),
                      Index("ix_video_detections_camera_violation", "camera_code", "violation"))


def _invalid(field, message):
    return ValidationError({field: [message]})


def open_case(session, camera_code, violation):
    """The open case the latest detection of this violation at this camera belongs to, or None."""
    return session.scalar(
        select(Case).join(VideoDetection, VideoDetection.case_id == Case.id)
        .where(VideoDetection.camera_code == camera_code, VideoDetection.violation == violation,
               Case.status.not_in(ENDED))
        .order_by(VideoDetection.id.desc()).limit(1))


def _report(camera, kind, event):
    """The report a first detection files (validated like any other report)."""
    description = f"视频识别：{kind.name}（摄像头 {camera.name}）"
    if event.get("description"):
        description += f"。{event['description']}"
    return ReportSchema().load({
        "channel": "video", "category": kind.category, "description": description, "address": camera.name,
        "grid": camera.grid, "lat": camera.lat, "lng": camera.lng,
        "external_ref": f"{camera.code}/{event['event_id']}",
    })


def detect(session, runtime, directory, violations, *, client, event, snapshot, folder, max_bytes):
    """Take one detection (VideoEventSchema-loaded) with its snapshot; returns (case, filed).

    `filed` is True only when this detection started a new case. Raises ValidationError for an
    unknown camera or violation, cases.attachments.AttachmentError for a bad snapshot.
    """
    # FOR UPDATE: detections of one camera take turns on PostgreSQL, so two first sightings of a
    # violation cannot both file a case (SQLite serialises every writer anyway).
    camera = session.scalar(select(cameras.Camera).where(cameras.Camera.code == event["camera"]).with_for_update())
    if camera is None or not camera.active:
        raise _invalid("camera", f"未知摄像头 {event['camera']}")
    kind = violations.get(event["violation"])
    if kind is None:
        raise _invalid("violation", f"未知违规类型 {event['violation']}")
    seen = session.scalar(select(VideoDetection).where(VideoDetection.camera_code == camera.code,
                                                       VideoDetection.event_id == event["event_id"]))
    if seen is not None:
        return session.get(Case, seen.case_id), False
    photos.check(snapshot, max_bytes)
    now = runtime.clock.now()
    case = open_case(session, camera.code, kind.code)
    filed = case is None
    if filed:
        case, _ = report(session, runtime, directory, user=client, data=_report(camera, kind, event))
    (attachment,) = photos.add(session, runtime, case=case, kind="snapshot", photos=[snapshot], user=client,
                               folder=folder, max_bytes=max_bytes)
    detected_at = event.get("detected_at") or now
    session.add(VideoDetection(camera_code=camera.code, event_id=event["event_id"], violation=kind.code,
                               case_id=case.id, attachment_id=attachment.id, filed=filed,
                               detected_at=detected_at, received_at=now))
    side_events.record(session, case=case, kind="video_detected", at=now, actor=client.username, data={
        "camera": camera.code, "violation": kind.code, "violation_name": kind.name, "event_id": event["event_id"],
        "detected_at": localtime.isoformat(detected_at), "confidence": event.get("confidence"),
        "photo": attachment.id, "filed": filed})
    camera.last_detection_at = now
    session.flush()
    return case, filed
