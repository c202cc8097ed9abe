"""The checks: a case's hash chain (recomputed up to the head its instance row records), its
replay (the recorded inputs re-run on the recorded versions, compared with the stored state) and
its derived rows (case row, units, penalties, steps: rebuilt from the history, `derived`), one case
or all of them; and the system log's chain (deployments, clock changes)."""
from dataclasses import dataclass

from sqlalchemy import select

from engine import events, replay
from engine.models import Instance

from ..cases.models import Case
from ..cases.service import get_by_no
from . import derived


@dataclass
class CaseCheck:
    case_no: str
    ok: bool
    problem: str | None = None


def all_case_numbers(session):
    return list(session.scalars(select(Case.case_no).order_by(Case.id)))


def chain(session, case) -> events.ChainCheck:
    """The case's hash chain recomputed, up to the head its instance row records."""
    instance = session.get(Instance, case.instance_id)
    return events.verify_stream(session, events.instance_stream(case.instance_id),
                                head=(instance.event_seq, instance.event_hash))


def replay_case(session, runtime, case) -> replay.ReplayResult:
    """Re-run the case's recorded inputs on its recorded versions and compare with what is stored."""
    return replay.replay_instance(session, runtime, case.instance_id)


def verify_case(session, runtime, case_no) -> CaseCheck:
    """The case's event chain is intact, replaying its inputs gives its stored state, and its
    derived rows are what its history says."""
    case = get_by_no(session, case_no)
    if case is None:
        return CaseCheck(case_no, False, "no such case")
    found = chain(session, case)
    if not found.ok:
        return CaseCheck(case_no, False, f"hash chain broken: {found.problem}")
    problems = derived.differences(session, runtime, case)
    if problems and problems[0].startswith("replay differs"):
        return CaseCheck(case_no, False, problems[0])
    if problems:
        return CaseCheck(case_no, False, "derived rows differ: " + "; ".join(problems))
    return CaseCheck(case_no, True)


def verify_cases(session, runtime, case_nos):
    """{case number: CaseCheck}."""
    return {no: verify_case(session, runtime, no) for no in case_nos}


def verify_system(session) -> events.ChainCheck:
    return events.verify_stream(session, events.SYSTEM)
