"""The evaluation (考评): a period's figures at one level (JSON, or a CSV or XLSX file), and one
unit's with the cases behind each number. Who reads what is the evaluation's rule
(`handlers.evaluation.report`): a unit outside an officer's subtree answers 404 like an unknown one."""
from urllib.parse import quote

from flask import Response, jsonify

from handlers.evaluation import export, report
from handlers.evaluation.schemas import EvaluationSchema, UnitDetailSchema
from handlers.jsondump import dumper
from handlers.workcalendar.worktime import get_calendar

from .. import context, inputs
from ..auth import USER, caller, requires
from ..blueprint import bp
from ..docs import Files, doc
from ..schemas import EvaluationExportQuerySchema, EvaluationQuerySchema, PeriodQuerySchema

# the schemas' dump, faster (handlers.jsondump)
_DUMP_EVALUATION, _DUMP_DETAIL = dumper(EvaluationSchema()), dumper(UnitDetailSchema())
NOTE = ("Counted from the recorded events, penalty and case rows (README: evaluation, with the definitions and "
        "the attribution rules). Units outside the caller's subtree appear with their rank and totals only "
        "(`detail` false); the command center, owners, auditors and admins read everything.")


def _document(query):
    return report.evaluate(context.session(), context.runtime(), context.directory(), get_calendar(),
                           viewer=caller().user, period=query["period"], date_from=query["date_from"],
                           date_to=query["date_to"], level=query["level"], unit=query["unit"])


@bp.get("/evaluation")
@doc("The evaluation (考评) of a period at one level, ranked", tags=["evaluation"], description=NOTE,
     query=EvaluationQuerySchema, responses={200: EvaluationSchema}, errors=(403,))
@requires(USER)
def evaluation():
    return jsonify(_DUMP_EVALUATION(_document(inputs.query(EvaluationQuerySchema()))))


@bp.get("/evaluation/export")
@doc("The same evaluation as a CSV (UTF-8 with BOM) or XLSX file", tags=["evaluation"], description=NOTE,
     query=EvaluationExportQuerySchema, responses={200: Files(*export.CONTENT_TYPES.values())}, errors=(403,))
@requires(USER)
def evaluation_export():
    query = inputs.query(EvaluationExportQuerySchema())
    name, content_type, body = export.download(_document(query), query["format"])
    response = Response(body, mimetype=content_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@bp.get("/evaluation/units/<unit>")
@doc("One unit's evaluation, its rank, and the case numbers behind each number", tags=["evaluation"],
     description=NOTE, query=PeriodQuerySchema, responses={200: UnitDetailSchema})
@requires(USER)
def unit_evaluation(unit):
    query = inputs.query(PeriodQuerySchema())
    found = report.evaluate_unit(context.session(), context.runtime(), context.directory(), get_calendar(),
                                 viewer=caller().user, unit=unit, period=query["period"],
                                 date_from=query["date_from"], date_to=query["date_to"])
    return jsonify(_DUMP_DETAIL(found))
