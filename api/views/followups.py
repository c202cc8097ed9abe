"""A hotline case's 回访: read it (whoever sees the case), record it (the intake operator, once the
case is closed; once)."""
from flask import jsonify

from handlers.followups import service
from handlers.followups.schemas import FollowUpJSONSchema, FollowUpStateSchema, follow_up_json, state_json

from .. import context, inputs, lookups
from ..auth import USER, caller, requires
from ..blueprint import bp
from ..docs import doc

NOTE = ("回访 of a closed hotline case (channel hotline12345 or transfer110): satisfied 满意, basically_satisfied "
        "基本满意 or dissatisfied 不满意, with an optional note. Recorded by the intake role, once per case (a second "
        "is 409, as is a case that is not a closed hotline case); on the case's timeline as a `follow_up` event.")


@bp.get("/cases/<case_no>/follow-up")
@doc("A case's 回访 (null: none recorded)", tags=["cases"], description=NOTE, responses={200: FollowUpStateSchema})
@requires(USER)
def show_follow_up(case_no):
    session, user = context.session(), caller().user
    case = lookups.case_or_404(caller(), case_no)
    return jsonify(state_json(case, service.get(session, case), awaited=service.awaits(case),
                              may_record=service.may_record(session, user, case)))


@bp.post("/cases/<case_no>/follow-up")
@doc("Record the citizen's 回访 of a closed hotline case", tags=["cases"], description=NOTE,
     json=service.FollowUpSchema, responses={201: FollowUpJSONSchema}, errors=(409,))
@requires(USER)
def record_follow_up(case_no):
    case = lookups.case_or_404(caller(), case_no)
    row = service.record(context.session(), user=caller().user, case=case, data=inputs.read_json(),
                         now=context.now())
    return jsonify(follow_up_json(case, row)), 201
