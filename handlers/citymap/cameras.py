"""The cameras layer: the video-detection cameras (`intake.cameras`) whose grid the viewer sees,
at their location, each with its latest detections (`intake.video`: the violation, when, and the
case it filed or was attached to) and the cases it filed that are still open."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select

from ..cases.models import Case
from ..cases.statuses import ENDED
from ..cases.visibility import sees_unit, visible_clause
from ..intake import cameras as camera_service
from ..intake.video import VideoDetection

LATEST = 5       # detections shown per camera


@dataclass
class Detection:
    detected_at: datetime
    violation: str
    violation_name: str
    case_no: str
    case_status: str
    filed: bool                # this detection filed the case (else it was attached to its open case)


@dataclass
class CameraPoint:
    code: str
    name: str
    grid: str
    grid_name: str
    community: str | None
    lng: float
    lat: float
    active: bool
    last_detection_at: datetime | None
    detections_total: int = 0
    detections: list = field(default_factory=list)     # [Detection], newest first, at most LATEST
    open_cases: list = field(default_factory=list)     # numbers of the open cases it filed


def cameras(session, directory, violations, *, viewer, latest=LATEST) -> list:
    """The cameras `viewer` sees (their grid within what they see), by code, with their detections."""
    shown = {c.code: CameraPoint(code=c.code, name=c.name, grid=c.grid, grid_name=directory.name(c.grid),
                                 community=directory.parent(c.grid), lng=c.lng, lat=c.lat, active=c.active,
                                 last_detection_at=c.last_detection_at)
             for c in camera_service.get_all(session) if sees_unit(directory, viewer, c.grid)}
    if not shown:
        return []
    codes = sorted(shown)
    seen = visible_clause(directory, viewer)
    for code, count in session.execute(select(VideoDetection.camera_code, func.count())
                                       .where(VideoDetection.camera_code.in_(codes))
                                       .group_by(VideoDetection.camera_code)):
        shown[code].detections_total = count
    newest = func.row_number().over(partition_by=VideoDetection.camera_code,
                                    order_by=(VideoDetection.detected_at.desc(), VideoDetection.id.desc()))
    ranked = (select(VideoDetection.id, newest.label("n"))
              .where(VideoDetection.camera_code.in_(codes)).subquery())
    rows = session.execute(
        select(VideoDetection.camera_code, VideoDetection.detected_at, VideoDetection.violation, VideoDetection.filed,
               Case.case_no, Case.status)
        .join(ranked, and_(ranked.c.id == VideoDetection.id, ranked.c.n <= latest))
        .join(Case, Case.id == VideoDetection.case_id).where(seen)
        .order_by(VideoDetection.camera_code, VideoDetection.detected_at.desc(), VideoDetection.id.desc()))
    for code, detected_at, violation, filed, case_no, status in rows:
        kind = violations.get(violation)
        shown[code].detections.append(Detection(detected_at, violation, kind.name if kind else violation, case_no,
                                                status, filed))
    for code, case_no in session.execute(
            select(VideoDetection.camera_code, Case.case_no).join(Case, Case.id == VideoDetection.case_id)
            .where(VideoDetection.camera_code.in_(codes), VideoDetection.filed.is_(True), Case.status.not_in(ENDED),
                   seen).order_by(Case.case_no)):
        shown[code].open_cases.append(case_no)
    return [shown[code] for code in codes]
