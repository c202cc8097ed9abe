"""Photos of a case: who may add which kind, checking them before anything is written, storing
them (`attachments`) and noting them on the case's timeline.

Kinds: `before` (the problem, with the report or later by anyone who may see the case), `after`
(the handling unit's result, while it holds an open `handle` task), `check` (the grid worker's
on-site check or verification, while they hold that task), `snapshot` (a camera's, video intake
only).
"""
from sqlalchemy import select

from engine import instances

from ..errors import PermissionDenied, TooLarge
from ..worklist.models import OpenTask
from ..worklist.service import may_complete
from . import attachments, side_events
from .statuses import is_ended

USER_KINDS = ("before", "after", "check")
# The open steps whose holder may add a kind (None: any user who may see the case).
KIND_STEPS = {"before": None, "after": ("handle",), "check": ("check_result", "verify_report")}
MAX_PER_REQUEST = 9


class PhotoTooLarge(TooLarge, attachments.AttachmentError):
    """A photo over the size limit (413)."""


def check(data: bytes, max_bytes):
    """Refuse an empty, oversize or non-image file before anything is stored."""
    if not data:
        raise attachments.AttachmentError("空文件")
    if len(data) > max_bytes:
        raise PhotoTooLarge(f"照片超过 {max_bytes / (1024 * 1024):g} MB 上限")
    if attachments.sniff(data) is None:
        raise attachments.AttachmentError("只接受 JPEG、PNG 或 WebP 图片")


def upload_step(session, directory, *, user, case, kind):
    """The step a user's photo of `kind` belongs to (None for `before`).

    Raises instances.Conflict when the case has ended and PermissionDenied when the user holds no
    open task that takes this kind of photo.
    """
    if is_ended(case.status):
        raise instances.Conflict(f"案件 {case.case_no} 已结束，不能再上传照片")
    steps = KIND_STEPS[kind]
    if steps is None:
        return None
    rows = session.scalars(select(OpenTask).where(OpenTask.case_id == case.id, OpenTask.step.in_(steps)))
    for row in rows:
        if may_complete(directory, user, row):
            return row.step
    raise PermissionDenied(f"{user.username} 没有本案可上传“{kind}”照片的待办")


def add(session, runtime, *, case, kind, photos, user, folder, max_bytes, step=None):
    """Store photos (bytes) on a case and record them on its timeline; returns the Attachments."""
    for data in photos:
        check(data, max_bytes)
    now = runtime.clock.now()
    stored = [attachments.store(session, folder=folder, case=case, kind=kind, data=data, user=user, at=now,
                                step=step, max_bytes=max_bytes) for data in photos]
    if stored:
        side_events.record(session, case=case, kind="photos_added", at=now, actor=user.username, step=step,
                        data={"kind": kind, "photos": [{"id": a.id, "content_type": a.content_type, "size": a.size,
                                                        "sha256": a.sha256} for a in stored]})
    return stored


def get(session, case, photo_id):
    """One photo of a case, or None."""
    if not 0 < photo_id < 2**31:   # beyond the integer column: cannot exist (and PostgreSQL would refuse the query)
        return None
    found = session.get(attachments.Attachment, photo_id)
    return found if found is not None and found.case_id == case.id else None
