"""通知: the bell's unread count in every page's header (and the small JSON count an open page polls),
the list of the user's notifications, marking one or all read; the admins' dead letters of the
outbound gateway, with a retry button."""
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import instances
from engine.db import get_session
from handlers.notifications import notices, outbox, service

from . import common

bp = Blueprint("notifications", __name__)
bp.before_request(common.sync_clock)
PER_PAGE = 20


def unread_count():
    """Template global: the signed-in user's unread notifications (0 for nobody)."""
    if not current_user.is_authenticated:
        return 0
    return service.unread_count(get_session(), common.me())


def _page_arg():
    text = request.args.get("page", "1")
    return min(int(text), 100000) if text.isdigit() and int(text) > 0 else 1


@bp.get("/notifications")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    page = service.page_for(get_session(), common.me(), unread_only=unread_only, page=_page_arg(), per_page=PER_PAGE)
    return render_template("notifications.html", page=page, unread_only=unread_only, kinds=notices.KINDS)


@bp.get("/notifications/count")
def count():
    """What an open page polls: {"unread": n}; 401 once the session has ended."""
    if not current_user.is_authenticated:
        return jsonify(unread=None), 401
    response = jsonify(unread=unread_count())
    response.headers["Cache-Control"] = "no-store"
    return response


def _back():
    """The list page the form was on (its own query only: never another site)."""
    query = {k: v for k, v in (("unread", request.form.get("unread")), ("page", request.form.get("page")))
             if v and v.isdigit()}
    return redirect(url_for("notifications.index", **query), 303)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read_one(notification_id):
    session = get_session()
    try:
        found = service.mark_read(session, common.me(), notification_id, common.runtime().clock.now())
    except instances.NotFound:
        abort(404)
    if request.form.get("go") == "1":      # 查看: read, and on to where it leads
        return redirect(service.item_of(session, found).link, 303)
    return _back()


@bp.post("/notifications/read")
@login_required
def read_all():
    marked = service.mark_all_read(get_session(), common.me(), common.runtime().clock.now())
    flash(f"已将 {marked} 条通知标为已读", "success")
    return _back()


@bp.get("/notifications/outbox")
@common.requires("manage_delivery")
def dead_letters():
    session = get_session()
    page = outbox.dead_letters(session, page=_page_arg(), per_page=PER_PAGE)
    attempts = {m.id: outbox.attempts_of(session, m.id) for m, _ in page.items}
    return render_template("outbox.html", page=page, attempts=attempts, counts=outbox.counts(session),
                           policy=current_app.extensions["citygrid.notify_policy"],
                           gateway=current_app.extensions["citygrid.notify_gateway"].name, kinds=notices.KINDS)


@bp.post("/notifications/outbox/retry")
@common.requires("manage_delivery")
def retry_all():
    queued = outbox.retry_all(get_session(), common.runtime().clock.now())
    flash(f"{queued} 条死信已重新排队发送", "success")
    return redirect(url_for("notifications.dead_letters"), 303)


@bp.post("/notifications/outbox/<int:message_id>/retry")
@common.requires("manage_delivery")
def retry(message_id):
    try:
        outbox.retry(get_session(), message_id, common.runtime().clock.now())
    except instances.NotFound:
        abort(404)
    except outbox.NotDead as exc:
        flash(str(exc), "error")
        return redirect(url_for("notifications.dead_letters"), 303)
    flash(f"消息 {message_id} 已重新排队发送", "success")
    return redirect(url_for("notifications.dead_letters"), 303)
