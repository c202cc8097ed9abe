"""The case row, derived from the process after every step (an engine listener): status, grading,
deadline, holder and handler, the units the case belongs to, how it ended. Written in the same
transaction as the step; `audit.verify` rebuilds it from the replayed process to check it."""
from sqlalchemy import insert

from ..process import contract
from .models import CaseUnit
from .service import case_of
from .statuses import END_STATUS
from .visibility import units_of


def derive(case, loaded):
    """The summary fields of `case` as the loaded instance's state says (a dict, nothing written)."""
    main = loaded.main_task(exclude=contract.PARALLEL_STEPS)
    state = contract.read(main.data)
    instance = loaded.instance
    fields = dict(filed_at=state.filed_at, due_at=state.due_at, warn_at=state.warn_at,
                  due_provisional=state.due_provisional, handler_unit=state.handler or case.handler_unit,
                  reached=sorted(units_of(case, state)))
    if state.filed:   # filed: the intake operator's grading is now the case's
        fields.update(urgency=state.urgency, category=state.category or case.category)
    if instance.completed:
        fields.update(status=END_STATUS.get(instance.end_event, instance.end_event or "completed"),
                      closed_at=case.closed_at or instance.updated_at, holder_unit=None)
        if instance.end_event == "merged":
            fields["merged_into"] = state.duplicate_of
    else:
        fields.update(status=contract.step_properties(main.task_spec).get("status", case.status),
                      holder_unit=state.holder)
    return fields


def refresh(session, loaded):
    """Listener: bring the case row (and its units' index) up to date with the instance."""
    case = case_of(session, loaded)
    if case is None:
        return
    before = set(case.reached or [])
    for name, value in derive(case, loaded).items():
        setattr(case, name, value)
    added = set(case.reached) - before
    if added:
        session.execute(insert(CaseUnit), [dict(case_id=case.id, unit_code=u) for u in sorted(added)])
