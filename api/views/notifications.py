"""The caller's notifications: one page of them (or only the unread), marking one or all read.
Only a user's own: another's notification answers 404 as if it did not exist."""
from flask import jsonify

from handlers.notifications import service
from handlers.notifications.schemas import (MarkedSchema, NotificationPageSchema, NotificationQuerySchema,
                                            NotificationSchema, notification_json, page_json)

from .. import context, inputs
from ..auth import USER, caller, requires
from ..blueprint import bp
from ..docs import doc

NOTE = ("新待办 (new_task), 督办 (supervision), 退回 (returned), 核查不通过 (check_failed), 黄灯 (warning), 超期 (overdue); "
        "newest first. `link` is the web page it leads to: the task while it is open, else the case.")


@bp.get("/notifications")
@doc("The caller's notifications, newest first, one page", tags=["notifications"], description=NOTE,
     query=NotificationQuerySchema, responses={200: NotificationPageSchema})
@requires(USER)
def list_notifications():
    query = inputs.query(NotificationQuerySchema())
    page = service.page_for(context.session(), caller().user, unread_only=query["unread"], page=query["page"],
                            per_page=query["per_page"])
    return jsonify(page_json(page))


@bp.post("/notifications/<int:notification_id>/read")
@doc("Mark one of the caller's notifications read (again: it keeps the first instant)", tags=["notifications"],
     responses={200: NotificationSchema})
@requires(USER)
def read_notification(notification_id):
    session = context.session()
    found = service.mark_read(session, caller().user, notification_id, context.now())
    return jsonify(notification_json(service.item_of(session, found)))


@bp.post("/notifications/read")
@doc("Mark every unread notification of the caller read", tags=["notifications"], responses={200: MarkedSchema})
@requires(USER)
def read_all_notifications():
    session = context.session()
    marked = service.mark_all_read(session, caller().user, context.now())
    return jsonify(marked=marked, unread=service.unread_count(session, caller().user))
