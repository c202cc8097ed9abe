"""Recording and reading a case's 回访: who may record it (the intake operator), on which cases
(hotline cases once closed), once; the row and its timeline event in one unit of work."""
from marshmallow import fields
from sqlalchemy import select

from ..cases import side_events
from ..errors import PermissionDenied, StateConflict
from ..forms import FormSchema, length, one_of
from ..org import capabilities
from .models import CaseFollowUp

RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
HOTLINE_CHANNELS = ("hotline12345", "transfer110")
EVENT = "follow_up"


class FollowUpRefused(StateConflict):
    """A follow-up the case cannot take (409): not a hotline case, not closed, or recorded already."""


class FollowUpSchema(FormSchema):
    """The citizen's verdict and the operator's note."""

    rating = fields.String(required=True, validate=one_of(list(RATINGS)),
                           metadata={"description": "satisfied 满意, basically_satisfied 基本满意, "
                                                    "dissatisfied 不满意"})
    note = fields.String(load_default="", validate=length(max=500))


def get(session, case) -> CaseFollowUp | None:
    return session.scalar(select(CaseFollowUp).where(CaseFollowUp.case_id == case.id))


def awaits(case) -> bool:
    """Whether the case is one that takes a follow-up: a hotline case, closed (结案)."""
    return case.channel in HOTLINE_CHANNELS and case.status == "closed"


def may_record(session, user, case) -> bool:
    """Whether the case page offers `user` the form: an intake operator, a closed hotline case not followed up yet."""
    return capabilities.can(user, "follow_up") and awaits(case) and get(session, case) is None


def record(session, *, user, case, data, now) -> CaseFollowUp:
    """Record the follow-up of `case` (`data`: {"rating", "note"}). Raises PermissionDenied (403)
    for other roles, ValidationError (422), FollowUpRefused (409) for a case that takes none or has
    one already, instances.Conflict when the case changed meanwhile."""
    if not capabilities.can(user, "follow_up"):
        raise PermissionDenied("只有受理员可以登记回访")
    form = FollowUpSchema().load(data)
    if case.channel not in HOTLINE_CHANNELS:
        raise FollowUpRefused("只有 12345、110 热线案件需要回访")
    if case.status != "closed":
        raise FollowUpRefused("案件结案后才能回访")
    if get(session, case) is not None:
        raise FollowUpRefused(f"案件 {case.case_no} 已回访，不能再次登记")
    row = CaseFollowUp(case_id=case.id, rating=form["rating"], note=form["note"], actor=user.username, at=now)
    session.add(row)
    session.flush()     # the unique key: a follow-up recorded at the same moment loses here (409)
    side_events.record(session, case=case, kind=EVENT, at=now, actor=user.username,
                       data={"rating": form["rating"], "rating_label": RATINGS[form["rating"]], "note": form["note"]})
    return row

