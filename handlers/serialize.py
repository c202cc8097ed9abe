"""The JSON of a case and of an open task, as `cases show --json`, `tasks list --json` and the API give it."""
from sqlalchemy import select

from . import cases, penalties
from .worklist import OpenTask


def case_json(session, runtime, directory, case):
    now = runtime.clock.now()
    overdue = bool(case.due_at and (case.closed_at or now) >= case.due_at)
    tasks = session.scalars(select(OpenTask).where(OpenTask.case_id == case.id).order_by(OpenTask.created_at))
    return {
        "case_no": case.case_no,
        "status": case.status,
        "category": case.category,
        "urgency": case.urgency,
        "channel": case.channel,
        "external_ref": case.external_ref,
        "description": case.description,
        "address": case.address,
        "community": case.community,
        "grid": case.grid,
        "lat": case.lat,
        "lng": case.lng,
        "reporter": case.reporter,
        "reported_at": cases.shanghai(case.reported_at),
        "filed_at": cases.shanghai(case.filed_at),
        "due_at": cases.shanghai(case.due_at),
        "due_provisional": case.due_provisional,
        "holder_unit": case.holder_unit,
        "holder_name": directory.name(case.holder_unit) if case.holder_unit else None,
        "handler_unit": case.handler_unit,
        "overdue": overdue,
        "closed_at": cases.shanghai(case.closed_at),
        "merged_into": case.merged_into,
        "rework_count": case.rework_count,
        "penalties": [{"unit": p.unit_code, "points": p.points, "reason": p.reason, "at": cases.shanghai(p.at)}
                      for p in penalties.for_case(session, case.id)],
        "open_tasks": [{"id": t.task_id, "step": t.step, "unit": t.unit_code, "role": t.role} for t in tasks],
    }


def task_json(task, case):
    return {"id": task.task_id, "case_no": case.case_no, "step": task.step, "role": task.role,
            "unit": task.unit_code, "created_at": cases.shanghai(task.created_at),
            "category": case.category, "urgency": case.urgency, "status": case.status,
            "holder_unit": case.holder_unit, "due_at": cases.shanghai(case.due_at),
            "due_provisional": case.due_provisional}
