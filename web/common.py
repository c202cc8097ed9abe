"""What the web views share: the app's services, the request's clock sync, load-or-404 helpers,
the deadline light (on the working-day calendar), uploaded photos, and display filters."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user, login_required

from engine.db import get_session
from handlers import attachments, cases, categories, photos, workcalendar
from handlers.worklist import OpenTask

from . import labels

WARNING_SHARE = 0.8       # yellow past 80% of the limit, as the default process warns
WORKING_DAY_MINUTES = 7 * 60


def runtime():
    return current_app.extensions["citygrid.runtime"]


def directory():
    return current_app.extensions["citygrid.directory"]


def catalogue():
    return categories.get_catalogue(current_app)


def calendar():
    return workcalendar.get_calendar(current_app)


def sync_clock():
    """before_request: every request sees the app's one clock (the simulated one is in the database)."""
    runtime().clock.sync(get_session())


def me():
    """The logged-in user's org.User row (in the request's session)."""
    return current_user.user


def roles_required(*roles):
    """A view for logged-in users of these roles only (403 for the others)."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def load_case_or_404(case_no):
    """The case, if it exists and the user may see it; 404 otherwise (an unseen case does not exist)."""
    case = cases.get_by_no(get_session(), case_no)
    if case is None or not cases.can_see(directory(), me(), case):
        abort(404)
    return case


def load_task_or_404(task_id):
    """(open task, case): 404 when the task is not open or its case is outside the user's subtree."""
    task = get_session().get(OpenTask, str(task_id))
    if task is None:
        abort(404)
    case = get_session().get(cases.Case, task.case_id)
    if case is None or not cases.can_see(directory(), me(), case):
        abort(404)
    return task, case


# --- deadlines ---------------------------------------------------------------------------------

@dataclass
class Deadline:
    light: str            # green, yellow, red, or done (closed)
    text: str             # remaining or overdue working time, in words
    due_at: datetime
    provisional: bool
    share: float          # share of the limit used (working time)


def working_text(amount: timedelta) -> str:
    """Working time in words: 1个工作日2小时5分 (a working day is seven office hours)."""
    minutes = int(amount.total_seconds() // 60)
    days, minutes = divmod(minutes, WORKING_DAY_MINUTES)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}个工作日" if days else "", f"{hours}小时" if hours else "", f"{minutes}分" if minutes else ""]
    return "".join(parts) or "不到1分钟"


def deadline(case, now=None) -> Deadline | None:
    """The deadline light of a filed case: green, yellow past 80% of its limit, red when overdue,
    counted in working time on the calendar; `done` (with the outcome) once the case is closed."""
    if not case.due_at or not case.filed_at:
        return None
    cal = calendar()
    now = now or runtime().clock.now()
    end = case.closed_at or now
    limit = cal.working_time_between(case.filed_at, case.due_at)
    used = cal.working_time_between(case.filed_at, min(end, case.due_at))
    share = used / limit if limit else 1.0
    late = end >= case.due_at
    if case.closed_at:
        text = f"已办结，超期 {working_text(cal.working_time_between(case.due_at, end))}" if late else "按期办结"
        return Deadline("done-late" if late else "done", text, case.due_at, case.due_provisional, share)
    if late:
        return Deadline("red", f"已超期 {working_text(cal.working_time_between(case.due_at, end))}",
                        case.due_at, case.due_provisional, share)
    light = "yellow" if share >= WARNING_SHARE else "green"
    return Deadline(light, f"剩余 {working_text(cal.working_time_between(end, case.due_at))}",
                    case.due_at, case.due_provisional, share)


# --- uploads -----------------------------------------------------------------------------------

def uploaded_photos(name="photos"):
    """([bytes of each chosen photo], error or None): checked by `photos.check` before anything is
    written, so that a refused photo refuses the whole form."""
    limit = current_app.config["CITYGRID_MAX_PHOTO_BYTES"]
    found = []
    for storage in request.files.getlist(name):
        if not storage or not storage.filename:
            continue            # an empty file input still sends one nameless part
        data = storage.read(limit + 1)
        try:
            photos.check(data, limit)
        except attachments.AttachmentError as err:
            return [], f"{storage.filename}：{err}"
        found.append(data)
    if len(found) > photos.MAX_PER_REQUEST:
        return [], f"最多 {photos.MAX_PER_REQUEST} 张照片"
    return found, None


def store_photos(session, case, data, *, kind, step=None):
    """Store the checked photos on the case and note them on its timeline."""
    if data:
        photos.add(session, runtime(), case=case, kind=kind, photos=data, user=me(), step=step,
                   folder=current_app.config["CITYGRID_UPLOAD_DIR"],
                   max_bytes=current_app.config["CITYGRID_MAX_PHOTO_BYTES"])


# --- display -----------------------------------------------------------------------------------

def beijing(value, fmt="%Y-%m-%d %H:%M"):
    """A UTC instant (or ISO text) shown in Beijing time."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(cases.SHANGHAI).strftime(fmt)


def iso(value):
    return value.astimezone(cases.SHANGHAI).isoformat() if value else ""


def unit_name(code):
    return directory().name(code) if code else ""


def install_filters(app):
    app.add_template_filter(beijing, "beijing")
    app.add_template_filter(iso, "iso")
    app.add_template_filter(unit_name, "unit_name")
    app.add_template_filter(lambda s: labels.STATUS.get(s, s), "status_label")
    app.add_template_filter(lambda s: labels.STEP.get(s, s), "step_label")
    app.add_template_filter(lambda s: labels.ROLE.get(s, s), "role_label")
    app.add_template_filter(lambda s: labels.URGENCY.get(s, s or "未定级"), "urgency_label")
    app.add_template_filter(lambda s: labels.CHANNEL.get(s, s), "channel_label")
    app.add_template_filter(lambda c: catalogue().name(c), "category_name")
