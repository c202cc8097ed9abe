"""What an auditor reads about cases (read-only): every event of a case with who, when, which step,
the form data given, the before/after values of data changes and the process version; the diagram
as it stood right after any event (rebuilt by replaying the recorded inputs up to it); the replay
check and the hash-chain check of one case; and a page of all cases with their chain checks.

Nothing here writes: replays run on a simulated clock and write nothing (engine.replay), and the
web views that call these functions never commit."""
from dataclasses import dataclass

from sqlalchemy import func, select

from engine import events, replay
from engine.models import Instance

from . import audit, cases, history


def events_of(session, case):
    """The case's events, oldest first (engine.models.Event rows)."""
    return events.get_stream(session, events.instance_stream(case.instance_id))


def chain(session, case) -> events.ChainCheck:
    """The case's hash chain recomputed, up to the head its instance row records."""
    instance = session.get(Instance, case.instance_id)
    return events.verify_stream(session, events.instance_stream(case.instance_id),
                                head=(instance.event_seq, instance.event_hash))


def replay_case(session, runtime, case) -> replay.ReplayResult:
    """Re-run the case's recorded inputs on its recorded versions and compare with what is stored."""
    return replay.replay_instance(session, runtime, case.instance_id)


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
    query = select(cases.Case)
    if case_no:
        query = query.where(cases.Case.case_no.contains(case_no, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    found = list(session.scalars(query.order_by(cases.Case.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    rows = []
    for case in found:
        instance = session.get(Instance, case.instance_id)
        check = chain(session, case)
        rows.append(Row(case, instance.deployment_id, check.events, check))
    return SummaryPage(rows, total, page, pages)


def verify(session, runtime, case_nos):
    """{case number: handlers.audit.CaseCheck}: the chain and the replay of each case."""
    return {no: audit.verify_case(session, runtime, no) for no in case_nos}


def system_chain(session) -> events.ChainCheck:
    """The system log's chain (deployments, clock changes)."""
    return audit.verify_system(session)
