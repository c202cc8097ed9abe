"""Load-or-404 helpers: a case the caller may see, an open task of such a case.

A case outside the caller's unit subtree answers 404 exactly like an unknown one, so that case
numbers cannot be probed. An external client sees only the cases it reported itself.
"""
import re

from sqlalchemy import String, cast, select

from engine.models import Event
from handlers.cases.service import get_by_no
from handlers.cases.visibility import can_see
from handlers.worklist.service import open_task

from . import context
from .errors import ApiError

CASE_NO = re.compile(r"^\d{1,20}$")
TASK_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def may_see(caller, case):
    if caller.user is not None:
        return can_see(context.directory(), caller.user, case)
    return case.reporter == caller.client.username


def case_or_404(caller, case_no):
    """The case numbered `case_no` if the caller may see it; else ApiError 404."""
    case = get_by_no(context.session(), case_no) if CASE_NO.match(case_no) else None
    if case is None or not may_see(caller, case):
        raise ApiError(404, f"案件 {case_no} 不存在")
    return case


def was_completed(session, task_id):
    """Whether a task of that id was completed (its completion event names it).

    Only asked on the way to a 404, to tell "already done" (409) from "never existed".
    """
    found = session.scalar(select(Event.id).where(Event.kind == "task_completed",
                                                  cast(Event.data, String).contains(task_id)).limit(1))
    return found is not None


def open_task_or_404(caller, task_id):
    """The open task with its case and instance (`worklist.open_task`: one query) if the caller may
    see the case; 409 if it was completed already, else 404."""
    task_id = task_id.lower()
    session = context.session()
    found = open_task(session, task_id) if TASK_ID.match(task_id) else None
    if found is None:
        if TASK_ID.match(task_id) and was_completed(session, task_id):
            raise ApiError(409, "该待办已被办理")
        raise ApiError(404, f"待办 {task_id} 不存在")
    if not may_see(caller, found[1]):
        raise ApiError(404, f"待办 {task_id} 不存在")
    return found
