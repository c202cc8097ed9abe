"""The JSON of an open task, as `tasks list --json` and the API give it (one schema, also the
OpenAPI document's)."""
from dataclasses import dataclass

from marshmallow import Schema, fields

from ..cases.schemas import Instant
from ..jsondump import dumper


class TaskSchema(Schema):
    """An open task, as `tasks list --json` gives it."""

    id = fields.String(attribute="task.task_id")
    case_no = fields.String(attribute="case.case_no")
    step = fields.String(attribute="task.step")
    role = fields.String(attribute="task.role")
    unit = fields.String(attribute="task.unit_code")
    created_at = Instant(attribute="task.created_at")
    category = fields.String(attribute="case.category")
    urgency = fields.String(allow_none=True, attribute="case.urgency")
    status = fields.String(attribute="case.status")
    holder_unit = fields.String(allow_none=True, attribute="case.holder_unit")
    due_at = Instant(allow_none=True, attribute="case.due_at")
    due_provisional = fields.Boolean(attribute="case.due_provisional")


TASK = TaskSchema()
_DUMP_TASK = dumper(TASK)     # TASK.dump, faster (handlers.jsondump)


@dataclass
class _Row:
    task: object
    case: object


def task_json(task, case):
    return _DUMP_TASK(_Row(task, case))
