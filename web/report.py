"""上报: the report form of grid workers (their own grid, from the phone: camera and geolocation)
and intake operators (any community or grid). Validated by handlers.cases.forms.ReportSchema and
filed by the same service as the API's reports (`intake.channels.staff_report`: the channel is the
role's own); a refused report re-renders with its errors beside the fields and writes nothing."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from engine.db import discard, get_session
from handlers import errors as refusals
from handlers.cases.forms import ReportSchema
from handlers.intake import channels

from . import common, labels

bp = Blueprint("report", __name__)
bp.before_request(common.sync_clock)
FIELDS = ("category", "description", "address", "community", "grid", "lat", "lng", "suggested_urgency")


def _places(directory):
    """(communities grouped by street, grids grouped by community) for the intake operator's selects."""
    communities, grids = [], []
    for district in sorted(directory.children(directory.center())):
        if directory.kind(district) != "district":
            continue
        for street in sorted(directory.active_children(district)):
            members = sorted(c for c in directory.active_children(street) if directory.kind(c) == "community")
            if members:
                communities.append((f"{directory.name(district)} · {directory.name(street)}",
                                    [(c, directory.name(c)) for c in members]))
            for community in members:
                cells = sorted(g for g in directory.active_children(community) if directory.kind(g) == "grid")
                if cells:
                    grids.append((f"{directory.name(street)} · {directory.name(community)}",
                                  [(g, directory.name(g)) for g in cells]))
    return communities, grids


def _render(values, errors, status=200):
    user, directory = common.me(), common.directory()
    my_grid = channels.own_grid(user)
    communities, grids = _places(directory) if my_grid is None else ([], [])
    return render_template("report.html", values=values, errors=errors, catalogue=common.catalogue(),
                           communities=communities, grids=grids, urgencies=labels.URGENCY,
                           my_grid=my_grid), status


@bp.get("/report")
@common.requires("report")
def form():
    return _render({}, {})


@bp.post("/report")
@common.requires("report")
def submit():
    user = common.me()
    values = {k: request.form.get(k, "").strip() for k in FIELDS}
    values["fixed_on_spot"] = request.form.get("fixed_on_spot") == "on" and common.can("report_on_spot")
    data = {k: v for k, v in values.items() if v not in ("", False)}
    data["channel"] = channels.default_channel(user)
    if channels.own_grid(user):             # the form has no place fields then: the service fills them
        data["grid"] = channels.own_grid(user)
        data.pop("community", None)
    errors = {}
    try:
        data = ReportSchema().load(data)
    except ValidationError as err:
        errors = refusals.flatten(err.messages)
    if channels.own_grid(user) is None and not values["community"] and not values["grid"]:
        # the schema says so too, but only once every field is valid: say it at once
        errors.setdefault("community", ["请选择社区（或网格）"])
    photos, photo_error = common.uploaded_photos()
    if photo_error:
        errors["photos"] = [photo_error]
    if errors:
        return _render(values, errors, 422)
    session = get_session()
    try:
        case, _ = channels.staff_report(session, common.runtime(), common.directory(), user=user, data=data)
        common.store_photos(session, case, photos, kind="before")
        session.flush()
    except refusals.REFUSALS as exc:
        refused = refusals.classify(exc)
        if refused is None or refused.status == 503:    # a bug (500), or the database's page (503)
            raise
        discard()
        return _render(values, refused.errors, refused.status)
    if case.status == "closed_on_spot":
        flash(f"已上报并当场处置结案：案件 {case.case_no}", "success")
    else:
        flash(f"已上报：案件 {case.case_no}", "success")
    return redirect(url_for("cases.show", case_no=case.case_no), 303)
