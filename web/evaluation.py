"""考评 (the evaluation) for every signed-in user, as the evaluation lets them read it
(`handlers.evaluation.report`): the tables of a level and period (the handling and the area sheets
of the districts, streets and communities), sortable, each with its chart (web/static/evaluation.js),
and the CSV and XLSX files of the same report (`handlers.evaluation.export`, as the API gives them)."""
from urllib.parse import quote

from flask import Blueprint, Response, abort, render_template, request
from flask_login import login_required

from engine.db import get_session
from handlers import errors as refusals
from handlers.evaluation import export, periods, report
from handlers.supervision import scope

from . import common

bp = Blueprint("evaluation", __name__)
bp.before_request(common.sync_clock)
FORMATS = ("csv", "xlsx")
# the charts' columns: a sheet's composite with its on-time rate, else the first counts of a person's
CHARTED = ("composite", "on_time_rate", "on_time_close_rate", "accepted", "dispatched", "reported", "valid")
RATED = ("composite", "on_time_rate", "on_time_close_rate")


# the level a viewer starts on: the one below their unit
FIRST_LEVEL = {"center": "district", "district": "street", "street": "community", "community": "community",
               "department": "department", "grid": "grid"}


def _asked():
    """The report asked for: level, period (or from/to), unit, as given (the service checks them).
    The page shows who does not read everything the rows within their own subtree (by default, and
    it offers no wider choice), so a district sees its own units only, with their ranks among peers."""
    args, user = request.args, common.me()
    own = None if common.can("evaluate_all") else user.unit_code
    return dict(level=args.get("level") or FIRST_LEVEL.get(common.directory().kind(user.unit_code), "district"),
                period=args.get("period") or None, date_from=args.get("from") or None,
                date_to=args.get("to") or None, unit=args.get("unit") or own)


def _document(asked):
    return report.evaluate(get_session(), common.runtime(), common.directory(), common.calendar(), viewer=common.me(),
                           **asked)


def _charted(sheet):
    """The keys of a sheet's chart: its composite and its on-time rate, else its first counts."""
    keys = [k for k in CHARTED if k in sheet.keys]
    return [k for k in keys if k in RATED] if "composite" in keys else keys[:2]


def _sortable(value):
    """A cell's sort key for the script: numbers as numbers, ranks by their number, the rest as text."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str) and " / " in value:
        head = value.split(" / ")[0]
        return head if head.isdigit() else ""
    return value


@bp.get("/evaluation")
@login_required
def index():
    asked, user = _asked(), common.me()
    error, document, status = None, None, 200
    try:
        document = _document(asked)
    except refusals.PermissionDenied:
        abort(403)
    except refusals.Invalid as exc:
        error, status = dict(field=exc.field, message=str(exc)), 422
    sheets = []
    if document:
        for sheet in export.sheets(document):
            charted = _charted(sheet)
            rows = [(row, [(export.cell_text(value, key), _sortable(value)) for value, key in zip(cells, sheet.keys)])
                    for row, cells in sheet.rows]
            sheets.append(dict(heading=sheet.heading, names=sheet.names, column_keys=sheet.keys, charted=charted,
                               rows=rows))
    names = {"date_from": "from", "date_to": "to"}
    shown = {names.get(k, k): v for k, v in asked.items() if v}        # the files of exactly what is shown
    downloads = {fmt: {**shown, "format": fmt} for fmt in FORMATS}
    label = document["period"]["label"] if document else ""
    return render_template(
        "evaluation.html", asked=asked, document=document, sheets=sheets, error=error, downloads=downloads,
        levels=[(level, export.LEVEL_NAMES[level]) for level in report.readable_levels(user)],
        choices=scope.choices(common.directory(), user), everything=common.can("evaluate_all"),
        title=export.title(document) if document else None,
        month=label if periods.MONTH.match(label) else None), status    # a row's dashboard: of a month only


@bp.get("/evaluation/export")
@login_required
def download():
    """The report as a CSV or XLSX file (the API's `/evaluation/export`, for the session-logged-in page)."""
    fmt = request.args.get("format")
    if fmt not in FORMATS:
        abort(404)
    try:
        name, content_type, body = export.download(_document(_asked()), fmt)
    except refusals.PermissionDenied:
        abort(403)
    except refusals.Invalid:
        abort(422)
    response = Response(body, mimetype=content_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
