"""态势 (the dashboard), for every signed-in user on the units of their own subtree: the page with
its month and unit pickers, and its figures as JSON (the API's document, through the same schema,
for the session-logged-in page: web/static/dashboard.js draws the tiles, the charts and the ranking
from it and fetches it again every few minutes, for a wall screen)."""
import json

from flask import Blueprint, abort, jsonify, render_template, request
from flask_login import login_required

from engine import instances
from engine.db import get_session
from handlers import errors as refusals
from handlers.supervision import dashboard as supervision, scope
from handlers.supervision.schemas import dashboard_json

from . import common, labels

bp = Blueprint("dashboard", __name__)
bp.before_request(common.sync_clock)
REFRESH_SECONDS = 120


def _asked():
    """(period, unit) of the query string, as given (the service checks them)."""
    return request.args.get("period") or None, request.args.get("unit") or None


def _labels():
    """The Chinese names the script shows (labels stay in one place: web/labels.py)."""
    return {"status": labels.STATUS, "channel": labels.CHANNEL,
            "urgency": {**labels.URGENCY, "none": "未定级"}, "light": labels.LIGHT_SHORT}


@bp.get("/dashboard")
@login_required
def page():
    period, unit = _asked()
    user, directory = common.me(), common.directory()
    try:
        month, code = supervision.chosen(common.runtime(), directory, viewer=user, period=period, unit=unit)
    except instances.NotFound:
        abort(404)
    except refusals.Invalid as exc:
        month, code = None, scope.resolve(directory, user, None)
        error = str(exc)
    else:
        error = None
    status = 422 if error else 200
    return render_template(
        "dashboard.html", month=month.label if month else (period or ""), unit=code, error=error,
        unit_name=directory.name(code), choices=scope.choices(directory, user),
        path=scope.path(directory, user, code), refresh=REFRESH_SECONDS,
        labels_json=json.dumps(_labels(), ensure_ascii=False)), status


@bp.get("/dashboard/data")
@login_required
def data():
    """The dashboard's document (as GET /api/v1/dashboard); errors as the API's JSON shape."""
    period, unit = _asked()
    try:
        document = supervision.dashboard(get_session(), common.runtime(), common.directory(), common.calendar(),
                                         common.catalogue(), viewer=common.me(), period=period, unit=unit)
    except refusals.REFUSALS as exc:
        found = refusals.classify(exc)
        if found is None:
            raise
        return jsonify(error=found.message, errors=found.errors), found.status
    return jsonify(dashboard_json(document))
