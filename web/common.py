"""What the web views share: the app's services, the request's clock sync, the capability guard,
load-or-404 helpers, the deadline light in words, uploaded photos, and display filters."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user, login_required

from engine.db import get_session
from handlers import localtime
from handlers.cases import attachments, deadlines, photos
from handlers.cases.models import Case
from handlers.cases.service import get_by_no
from handlers.cases.visibility import can_see
from handlers.categories.catalogue import get_catalogue
from handlers.org import capabilities
from handlers.org.service import display_names
from handlers.workcalendar.worktime import get_calendar
from handlers.worklist.models import OpenTask

from . import labels


def runtime():
    return current_app.extensions["citygrid.runtime"]


def directory():
    return current_app.extensions["citygrid.directory"]


def catalogue():
    return get_catalogue(current_app)


def category_standard(code):
    """The standard (立案条件, 结案条件) of a category of the catalogue, or None."""
    found = catalogue().get(code)
    return found.standard if found else None


def calendar():
    return get_calendar(current_app)


def sync_clock():
    """before_request: every request sees the app's one clock (the simulated one is in the database)."""
    runtime().clock.sync(get_session())


def me():
    """The logged-in user's org.User row (in the request's session)."""
    return current_user.user


def can(capability):
    """Template global and view helper: whether the logged-in user holds a capability."""
    return current_user.is_authenticated and capabilities.can(current_user.user, capability)


def cases_title():
    """Template global: what the case list is to the signed-in user — 案件查询 for who sees every
    case, 全市案件 for a user of the city's own unit (the city's supervisors see the whole tree),
    辖区案件 (their area's) for the others."""
    if can("see_all_cases"):
        return "案件查询"
    return "全市案件" if current_user.user.unit_code == directory().center() else "辖区案件"


def requires(capability):
    """A view for logged-in users holding the capability only (403 for the others)."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(capability):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def load_case_or_404(case_no):
    """The case, if it exists and the user may see it; 404 otherwise (an unseen case does not exist)."""
    case = get_by_no(get_session(), case_no)
    if case is None or not can_see(directory(), me(), case):
        abort(404)
    return case


def load_task_or_404(task_id):
    """(open task, case): 404 when the task is not open or its case is outside the user's subtree."""
    task = get_session().get(OpenTask, str(task_id))
    if task is None:
        abort(404)
    case = get_session().get(Case, task.case_id)
    if case is None or not can_see(directory(), me(), case):
        abort(404)
    return task, case


# --- deadlines ---------------------------------------------------------------------------------

@dataclass
class Deadline:
    light: str            # green, yellow, red; done or done-late once closed
    text: str             # remaining or overdue working time, in words
    due_at: datetime
    provisional: bool


def working_text(amount: timedelta, working_day: timedelta) -> str:
    """Working time in words: 1个工作日2小时5分 (a working day as long as the calendar's)."""
    minutes = int(amount.total_seconds() // 60)
    days, minutes = divmod(minutes, int(working_day.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}个工作日" if days else "", f"{hours}小时" if hours else "", f"{minutes}分" if minutes else ""]
    return "".join(parts) or "不到1分钟"


def deadline(case, now=None) -> Deadline | None:
    """The deadline light of a filed case (`cases.deadlines.light`) with its text."""
    cal = calendar()
    found = deadlines.light(case, now or runtime().clock.now(), cal)
    if found is None:
        return None
    late = working_text(found.late_by, cal.working_day)
    text = {"done": "按期办结", "done-late": f"已办结，超期 {late}", "red": f"已超期 {late}"}.get(
        found.colour, f"剩余 {working_text(found.remaining, cal.working_day)}")
    return Deadline(found.colour, text, found.due_at, found.provisional)


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

def unit_name(code):
    return directory().name(code) if code else ""


def person(username):
    """A user's display name (盈翠社区第1网格网格员); for the engine and the commands (timer, system,
    cli) their Chinese name; the username itself when there is none."""
    if username in labels.ACTOR:
        return labels.ACTOR[username]
    return display_names(get_session(), [username]).get(username, username)


def deployment_note(note):
    """A version's change note as people read it: the note `db upgrade` writes said in Chinese."""
    if note and note.startswith(labels.SHIPPED_NOTE):
        return f"随系统发布：{note[len(labels.SHIPPED_NOTE):]}"
    return note or "—"


def demo_clock():
    """Template global: the simulated clock's instant when the app runs on it (demos, tests), else None."""
    clock = runtime().clock
    return clock.now() if clock.simulated else None


def install_filters(app):
    app.add_template_filter(localtime.show, "beijing")
    app.add_template_filter(lambda value: localtime.isoformat(value) or "", "iso")
    app.add_template_filter(unit_name, "unit_name")
    app.add_template_filter(person, "person")
    app.add_template_filter(deployment_note, "deployment_note")
    app.add_template_filter(lambda s: labels.STATUS.get(s, s), "status_label")
    app.add_template_filter(lambda s: labels.STEP.get(s, s), "step_label")
    app.add_template_filter(lambda s: labels.ROLE.get(s, s), "role_label")
    app.add_template_filter(lambda s: labels.URGENCY.get(s, s or "未定级"), "urgency_label")
    app.add_template_filter(lambda s: labels.CHANNEL.get(s, s), "channel_label")
    app.add_template_filter(lambda c: catalogue().name(c), "category_name")
    app.add_template_filter(category_standard, "category_standard")
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["cases_title"] = cases_title
    app.jinja_env.globals["demo_clock"] = demo_clock
