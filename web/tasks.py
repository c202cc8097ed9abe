"""我的待办 (the inbox) and the task forms: list the user's open tasks; show and complete one,
with its case's photos and history beside the form."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from engine.db import discard, get_session
from handlers import errors as refusals
from handlers.cases import attachments, history
from handlers.process import decisions
from handlers.worklist import service as worklist

from . import common, labels, taskforms, timeline

bp = Blueprint("tasks", __name__)
bp.before_request(common.sync_clock)


@bp.get("/")
@login_required
def home():
    """Who works tasks lands on the inbox, the supervising levels on the dashboard, the other
    read-only roles on the case list."""
    if common.can("work_tasks"):
        return redirect(url_for("tasks.inbox"))
    return redirect(url_for("dashboard.page" if common.can("supervise") else "cases.index"))


@bp.get("/tasks")
@login_required
def inbox():
    if not common.can("work_tasks"):        # a read-only role (a supervisor, an auditor) holds no tasks
        flash(f"{labels.ROLE.get(common.me().role, common.me().role)}没有待办任务", "info")
        return redirect(url_for("tasks.home"), 303)
    session = get_session()
    urgency, status = request.args.get("urgency", ""), request.args.get("status", "")
    rows = worklist.list_tasks(session, common.directory(), user=common.me())
    statuses = sorted({case.status for _, case in rows}, key=lambda s: list(labels.STATUS).index(s)
                      if s in labels.STATUS else 99)
    if urgency:
        rows = [(t, c) for t, c in rows if (c.urgency or "") == urgency]
    if status:
        rows = [(t, c) for t, c in rows if c.status == status]
    now = common.runtime().clock.now()
    items = [(task, case, common.deadline(case, now)) for task, case in rows]
    return render_template("inbox.html", items=items, urgency=urgency, status=status, statuses=statuses)


def _render_task(task, case, *, values, errors, status=200):
    session = get_session()
    limits = standards = None
    unit = decisions.LIMIT_OUTPUTS["time_limit"]
    chosen = values.get("category") or case.category
    if task.step == "accept_report":      # the limits and 立案条件 of the chosen category, on the case's version
        deployment = history.deployment_of(session, case)
        limits = decisions.time_limits(common.runtime(), deployment, chosen)
        unit = decisions.limit_unit(common.runtime(), deployment)
        standards = taskforms.accept_standards(common.runtime(), deployment, common.catalogue())
    widgets = taskforms.widgets(task.step, values=values, errors=errors, case=case, task=task,
                                directory=common.directory(), catalogue=common.catalogue(), limits=limits,
                                limit_unit=unit)
    photo_kind = labels.PHOTO_KIND_OF_STEP.get(task.step)
    return render_template(
        "task.html", task=task, case=case, widgets=widgets, errors=errors, photo_kind=photo_kind,
        deadline=common.deadline(case), photos=_photos(session, case),
        entries=timeline.entries(session, case), standards=standards, chosen=chosen,
    ), status


def _photos(session, case):
    return attachments.for_case(session, case.id)


def _check_may_complete(task):
    if not worklist.may_complete(common.directory(), common.me(), task):
        abort(403)


@bp.get("/tasks/<task_id>")
@login_required
def show(task_id):
    task, case = common.load_task_or_404(task_id)
    _check_may_complete(task)
    values = taskforms.defaults(task.step, case=case, catalogue=common.catalogue())
    return _render_task(task, case, values=values, errors={})


@bp.post("/tasks/<task_id>")
@login_required
def complete(task_id):
    task, case = common.load_task_or_404(task_id)
    _check_may_complete(task)
    session = get_session()
    step = task.step
    data = taskforms.submitted(step, request.form)
    photo_kind = labels.PHOTO_KIND_OF_STEP.get(step)
    photos, photo_error = common.uploaded_photos() if photo_kind else ([], None)
    if photo_error:
        errors = {"photos": [photo_error]}
        try:                                   # show the form's own errors too, without completing it
            taskforms.schema_for(step)().load(data)
        except ValidationError as err:
            errors.update(refusals.flatten(err.messages))
        return _render_task(task, case, values=data, errors=errors, status=422)
    try:
        worklist.complete(session, common.runtime(), common.directory(), user=common.me(), task_id=task.task_id,
                          data=data)
        common.store_photos(session, case, photos, kind=photo_kind, step=step)
        session.flush()
    except refusals.REFUSALS as exc:
        refused = refusals.classify(exc)
        if refused is None or refused.status == 503:    # a bug (500), or the database's page (503)
            raise
        discard()                       # nothing of the refused step stays, before anything is read again
        if refused.status == 422:       # the form again, with what was typed and the errors beside it
            return _render_task(task, case, values=data, errors=refused.errors, status=422)
        if refused.status == 403:
            abort(403)
        flash("该任务已被他人办理或案件已变化，请查看最新状态", "error")
        return redirect(url_for("cases.show", case_no=case.case_no), 303)
    flash(f"已完成「{labels.STEP.get(step, step)}」：案件 {case.case_no}", "success")
    return redirect(url_for("tasks.inbox"), 303)
