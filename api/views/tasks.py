"""Open tasks: the caller's worklist, and completing one with its step's form."""
from flask import jsonify

from engine import instances
from handlers.cases.schemas import case_json
from handlers.worklist import service as worklist
from handlers.worklist.forms import FORMS
from handlers.worklist.schemas import task_json

from .. import context, inputs, lookups
from ..auth import USER, caller, requires
from ..blueprint import bp
from ..docs import doc
from ..errors import ApiError
from ..schemas import CaseSchema, TaskQuerySchema, TaskSchema

FORM_NOTE = ("The body is the form of the task's step (README, published contract): accept_report, verify_report, "
             "dispatch, handle, approve_extension, review, check_result, close_case, supervise, supervise_reply. Unknown fields "
             "and bad values are 422 with field messages; a task completed meanwhile is 409.")


@bp.get("/tasks")
@doc("The open tasks the caller may complete, newest first", tags=["tasks"], query=TaskQuerySchema,
     responses={200: TaskSchema(many=True)},
     links={200: {"complete_task": {"operationId": "complete_task",
                                    "parameters": {"task_id": "$response.body#/0/id"}}}})
@requires(USER)
def list_tasks():
    query = inputs.query(TaskQuerySchema())
    rows = worklist.list_tasks(context.session(), context.directory(), user=caller().user, case_no=query["case"])
    return jsonify([task_json(task, case) for task, case in rows])


@bp.post("/tasks/<task_id>/complete")
@doc("Complete an open task with its step's form; answers the case", tags=["tasks"], description=FORM_NOTE,
     json={"anyOf": list(FORMS.values())}, responses={200: CaseSchema}, errors=(409,))
@requires(USER)
def complete_task(task_id):
    user = caller().user
    found = lookups.open_task_or_404(caller(), task_id)
    form = inputs.read_json()
    try:
        case = worklist.complete(context.session(), context.runtime(), context.directory(), user=user,
                                 task_id=found[0].task_id, data=form, found=found)
    except instances.NotFound:
        # It was open when this request looked: someone completed it in between.
        raise ApiError(409, "该待办已被办理") from None
    return jsonify(case_json(context.session(), context.runtime(), context.directory(), case))
