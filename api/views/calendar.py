"""The working-day calendar: when is N working days (or hours) from an instant due."""
from flask import current_app, jsonify

from handlers.workcalendar.worktime import get_calendar

from .. import inputs
from ..auth import CLIENT, USER, requires
from ..blueprint import bp
from ..docs import doc
from ..errors import ApiError
from ..schemas import DeadlineQuerySchema, DeadlineSchema


@bp.get("/calendar/deadline")
@doc("A deadline on the Chinese working-day calendar and the office hours", tags=["calendar"],
     description="`provisional` is true when a year without official holiday data is involved.",
     query=DeadlineQuerySchema, responses={200: DeadlineSchema})
@requires(USER, CLIENT)
def deadline():
    query = inputs.query(DeadlineQuerySchema())
    calendar = get_calendar(current_app)
    try:
        if query["working_days"] is not None:
            due = calendar.add_working_days(query["start"], query["working_days"])
        else:
            due = calendar.add_working_hours(query["start"], query["working_hours"])
    except (ValueError, OverflowError) as exc:
        raise ApiError(422, str(exc), errors={"start": [str(exc)]}) from None
    return jsonify(DeadlineSchema().dump(dict(start=query["start"], due_at=due.at, provisional=due.provisional)))
