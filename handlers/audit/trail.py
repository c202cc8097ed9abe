"""What an auditor reads about cases (read-only): every event of a case with who, when, which step,
the form data given, the before/after values of data changes and the process version; the diagram
as it stood right after any event (rebuilt by replaying the recorded inputs up to it); and a page
of all cases with their chain checks (the checks themselves are `verify`'s).

Nothing here writes: replays run on a simulated clock and write nothing (engine.replay), and the
views that call these functions answer GET requests, whose unit of work never commits."""
from dataclasses import dataclass

from sqlalchemy import func, select

from engine import events, replay
from engine.models import Instance

from ..cases import history
from ..cases.models import Case
from .verify import chain


def events_of(session, case):
    """The case's events, oldest first (engine.models.Event rows)."""
    return events.get_stream(session, events.instance_stream(case.instance_id))


def diagram_after(session, runtime, case, seq):
    """(history.Diagram, deployment): the diagram of the version the case was on right after its
    event `seq`, marked with the path taken until then and what was open and waiting; raises
    ValueError when there is no such event or the replay cannot get there (the message says why)."""
    stream = events_of(session, case)
    if not any(e.seq == seq for e in stream):
        raise ValueError(f"no event #{seq}")
    workflow, deployment = replay.state_after(session, runtime, case.instance_id, seq)
    found = history.diagram_of(workflow, deployment)
    if found is None:
        raise ValueError(f"version {deployment.id} has no BPMN file")
    return found, deployment


@dataclass
class Row:
    case: object
    version: int
    events: int
    chain: events.ChainCheck


@dataclass
class SummaryPage:
    rows: list
    total: int
    page: int
    pages: int


def summary(session, *, page=1, per_page=50, case_no=""):
    """A page of cases (newest first; a part of the number narrows it) with their chain checks."""
    query = select(Case)
    if case_no:
        query = query.where(Case.case_no.contains(case_no, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    found = list(session.scalars(query.order_by(Case.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    rows = []
    for case in found:
        instance = session.get(Instance, case.instance_id)
        check = chain(session, case)
        rows.append(Row(case, instance.deployment_id, check.events, check))
    return SummaryPage(rows, total, page, pages)
