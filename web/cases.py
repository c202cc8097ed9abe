"""Cases: the list and search (the command center sees all, others their subtree), the case page
(fields, photos, deadline, penalties, timeline, the diagram with the path taken), its photos, and
督办 by hand from the case page."""
from datetime import date

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from engine.db import discard, get_session
from handlers import errors as refusals
from handlers.cases import attachments, deadlines, history, penalties, photos, search, supervision, suspension
from handlers.cases.visibility import subtree
from handlers.followups import service as followups
from handlers.worklist import service as worklist

from . import common, labels, timeline

bp = Blueprint("cases", __name__)
bp.before_request(common.sync_clock)
PER_PAGE = 20


def _date(text):
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _unit_choices(user, directory):
    """Units to filter by: every district/street/community/department, or those of the user's subtree."""
    root = directory.center() if common.can("see_all_cases") else user.unit_code
    units = [u for u in subtree(directory, root) if directory.kind(u) not in ("grid", "center")]
    return [(u, directory.name(u)) for u in sorted(units)]


def _choice(value, choices):
    return value if value in choices else ""


def _filters(args):
    """The list's filters from its query string (search.to_query's names); what does not parse is
    ignored, never an error."""
    return search.Filters(
        case_no=args.get("case_no", "").strip()[:30], status=args.get("status", ""),
        category=args.get("category", "").strip()[:6], unit=args.get("unit", ""),
        overdue=args.get("overdue") in ("1", "true"), date_from=_date(args.get("from")), date_to=_date(args.get("to")),
        dated=_choice(args.get("dated"), search.DATED) or "reported", area=args.get("area", ""),
        channel=_choice(args.get("channel"), labels.CHANNEL), urgency=_choice(args.get("urgency"), search.URGENCIES),
        light=_choice(args.get("light"), deadlines.LIGHTS), due_on=_date(args.get("due")),
    )


@bp.get("/cases")
@login_required
def index():
    filters = _filters(request.args)
    page_no = request.args.get("page", "1")
    page_no = int(page_no) if page_no.isdigit() else 1
    now = common.runtime().clock.now()
    page = search.search(get_session(), common.directory(), user=common.me(), filters=filters, now=now,
                         page=page_no, per_page=PER_PAGE)
    items = [(case, common.deadline(case, now)) for case in page.items]
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("cases.html", page=page, items=items, filters=filters, query=query,
                           units=_unit_choices(common.me(), common.directory()),
                           statuses=labels.STATUS, catalogue=common.catalogue(), channels=labels.CHANNEL,
                           urgencies=labels.URGENCY, lights=labels.LIGHT)


def _may_press(case):
    """Whether the case page offers the 督办 form: the user may, and the case is being handled."""
    return supervision.may_supervise(common.directory(), common.me(), case) and case.status in supervision.PRESSABLE


def _render_case(case, *, supervise_values=None, supervise_errors=None, follow_up_values=None,
                 follow_up_errors=None, status=200):
    session = get_session()
    directory, user = common.directory(), common.me()
    follow_up = followups.get(session, case) if followups.awaits(case) else None
    open_tasks = [task for task, _ in worklist.list_tasks(session, directory, case_no=case.case_no)]
    return render_template(
        "case.html", case=case, deadline=common.deadline(case),
        photos=attachments.for_case(session, case.id), penalties=penalties.for_case(session, case.id),
        entries=timeline.entries(session, case),
        open_tasks=[(t, worklist.may_complete(directory, user, t)) for t in open_tasks],
        may_press=_may_press(case), supervise_values=supervise_values or {}, supervise_errors=supervise_errors or {},
        suspended=suspension.current(session, case), may_resume=suspension.may_resume(user, case),
        follow_up=follow_up, may_follow_up=follow_up is None and followups.may_record(session, user, case),
        ratings=followups.RATINGS, follow_up_values=follow_up_values or {}, follow_up_errors=follow_up_errors or {},
    ), status


@bp.get("/cases/<case_no>")
@login_required
def show(case_no):
    return _render_case(common.load_case_or_404(case_no))


@bp.post("/cases/<case_no>/supervise")
@login_required
def supervise(case_no):
    """督办 by hand: the comment goes to the unit holding the case as a step it must answer."""
    case = common.load_case_or_404(case_no)
    data = {"comment": request.form.get("comment", "")}
    return _act(case, lambda: supervision.start(get_session(), common.runtime(), common.directory(), user=common.me(),
                                                case=case, data=data),
                form="supervise", values=data, done=lambda unit: f"已督办：案件 {case.case_no} 已送达 "
                                                                 f"{common.unit_name(unit)}，待其回复")


@bp.post("/cases/<case_no>/follow-up")
@login_required
def follow_up(case_no):
    """回访: the intake operator records the citizen's verdict on a closed hotline case."""
    case = common.load_case_or_404(case_no)
    data = {name: request.form[name] for name in ("rating", "note") if request.form.get(name)}
    return _act(case, lambda: followups.record(get_session(), user=common.me(), case=case, data=data,
                                               now=common.runtime().clock.now()),
                form="follow_up", values=data,
                done=lambda row: f"已登记回访：{followups.RATINGS[row.rating]}", conflict_says=True)


def _act(case, do, *, form, values, done, conflict_says=False):
    """Run a form of the case page: on success back to the case with `done(result)`; the form shown
    again with its errors (422), 403, or the case page with what changed (409: the refusal's own
    message when `conflict_says`)."""
    try:
        result = do()
    except refusals.REFUSALS as exc:
        refused = refusals.classify(exc)
        if refused is None or refused.status == 503:    # a bug (500), or the database's page (503)
            raise
        discard()
        if refused.status == 403:
            abort(403)
        if refused.status == 422:
            return _render_case(case, **{f"{form}_values": values, f"{form}_errors": refused.errors}, status=422)
        flash(refused.message if conflict_says else "案件已变化，请查看最新状态后重试", "error")
        return redirect(url_for("cases.show", case_no=case.case_no), 303)
    flash(done(result), "success")
    return redirect(url_for("cases.show", case_no=case.case_no), 303)


@bp.post("/cases/<case_no>/resume")
@login_required
def resume(case_no):
    """The shift lead resumes a suspended case (the holding unit resumes through its 恢复 task)."""
    case = common.load_case_or_404(case_no)
    try:
        suspension.resume(get_session(), common.runtime(), user=common.me(), case=case,
                          data={"comment": request.form.get("comment", "").strip()})
    except refusals.REFUSALS as exc:
        refused = refusals.classify(exc)
        if refused is None or refused.status == 503:
            raise
        discard()
        if refused.status == 403:
            abort(403)
        flash("案件未挂起或已变化，请查看最新状态" if refused.status != 422 else
              "；".join(m for ms in (refused.errors or {}).values() for m in ms) or "输入有误", "error")
        return redirect(url_for("cases.show", case_no=case.case_no), 303)
    flash(f"案件 {case.case_no} 已恢复处置，处置时限已顺延", "success")
    return redirect(url_for("cases.show", case_no=case.case_no), 303)


@bp.get("/cases/<case_no>/diagram.json")
@login_required
def diagram(case_no):
    case = common.load_case_or_404(case_no)
    found = history.diagram(get_session(), common.runtime(), case)
    if found is None:
        abort(404)
    return jsonify(filename=found.filename, xml=found.xml, completed=found.completed, active=found.active,
                   waiting=found.waiting, flows=found.flows, last=found.last)


@bp.get("/cases/<case_no>/photos/<int:photo_id>")
@login_required
def photo(case_no, photo_id):
    case = common.load_case_or_404(case_no)
    found = photos.get(get_session(), case, photo_id)
    if found is None:
        abort(404)
    path = attachments.path_of(current_app.config["CITYGRID_UPLOAD_DIR"], found)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=found.content_type, max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
