"""一张图: the city map page (the filters as a form, the map drawn by web/static/map.js with ECharts
over the offline district boundaries) and the JSON it draws (`handlers.citymap`, dumped through the
same schema as the API's GET /api/v1/map), for whoever may see cases: their own subtree's."""
from datetime import date

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from engine.db import get_session
from handlers import errors as refusals, localtime
from handlers.citymap import service
from handlers.citymap.forms import MapQuerySchema
from handlers.citymap.schemas import map_json
from handlers.intake.violations import get_violations

from . import common, labels

bp = Blueprint("citymap", __name__)
bp.before_request(common.sync_clock)


def _query():
    """The filters as given (empty inputs left out, as a form sends every select; unknown ones kept,
    for the schema to refuse)."""
    return {k: v.strip() for k, v in request.args.items() if v.strip()}


def _periods(today: date):
    """The periods offered: the last twelve months, this year's and last year's quarters, the two years."""
    months, (year, month) = [], (today.year, today.month)
    for _ in range(12):
        months.append((f"{year}-{month:02d}", f"{year}年{month}月"))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    quarters = [(f"{y}-Q{q}", f"{y}年第{q}季度") for y in (today.year, today.year - 1)
                for q in range(4, 0, -1) if (y, q) <= (today.year, (today.month - 1) // 3 + 1)]
    years = [(str(y), f"{y}年") for y in (today.year, today.year - 1)]
    return [("按月", months), ("按季度", quarters), ("按年", years)]


@bp.get("/map")
@login_required
def page():
    query, errors = _query(), {}
    try:
        MapQuerySchema().load(query)
    except ValidationError as err:
        errors = refusals.flatten(err.messages)
    today = localtime.local_date(common.runtime().clock.now())
    directory, unit = common.directory(), common.me().unit_code
    whole_city = common.can("see_all_cases") or directory.kind(unit) == "center"
    return render_template(
        "map.html", values=query, errors=errors, scope="全市" if whole_city else directory.name(unit),
        catalogue=common.catalogue(), statuses=labels.STATUS,
        urgencies=labels.URGENCY, periods=_periods(today),
        data_url=None if errors else url_for("citymap.data", **query),
    ), 422 if errors else 200


@bp.get("/map/data.json")
@login_required
def data():
    try:
        filters = MapQuerySchema().load(_query())
    except ValidationError as err:
        return jsonify(error="筛选条件有误", errors=refusals.flatten(err.messages)), 422
    found = service.get(get_session(), common.directory(), common.catalogue(), get_violations(),
                        viewer=common.me(), filters=filters, now=common.runtime().clock.now())
    return jsonify(map_json(found))
