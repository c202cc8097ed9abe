"""The dashboard (态势): a unit's situation for a month and today, for the caller's subtree. Its
figures are the evaluation's where it has them and counts of the case list's filters otherwise; a
unit outside the caller's subtree answers 404 like an unknown one."""
from flask import jsonify

from handlers.categories.catalogue import get_catalogue
from handlers.supervision import dashboard as supervision
from handlers.supervision.schemas import DashboardSchema, dashboard_json
from handlers.workcalendar.worktime import get_calendar

from .. import context, inputs
from ..auth import USER, caller, requires
from ..blueprint import bp
from ..docs import doc
from ..schemas import DashboardQuerySchema

NOTE = ("Every count comes with `query`: the case-list filters under which `GET /api/v1/cases` (and the web list "
        "`/cases`) lists exactly that many cases. 上报, 立案, 结案, 超期未结案 and 按期处置率 are the evaluation's "
        "(README: evaluation); `current` is now, `today` today, `month` the chosen month.")


@bp.get("/dashboard")
@doc("The dashboard (态势) of a unit: today, a month, the open cases now, the ranking below it", tags=["dashboard"],
     description=NOTE, query=DashboardQuerySchema, responses={200: DashboardSchema}, errors=(404,))
@requires(USER)
def dashboard():
    query = inputs.query(DashboardQuerySchema())
    document = supervision.dashboard(context.session(), context.runtime(), context.directory(), get_calendar(),
                                     get_catalogue(), viewer=caller().user, period=query["period"], unit=query["unit"])
    return jsonify(dashboard_json(document))
