"""Audit: a case's hash chain and replay, one case or all of them; the system log's chain."""
from dataclasses import dataclass

from sqlalchemy import select

from engine import events, replay
from engine.models import Instance

from . import cases


@dataclass
class CaseCheck:
    case_no: str
    ok: bool
    problem: str | None = None


def all_case_numbers(session):
    return list(session.scalars(select(cases.Case.case_no).order_by(cases.Case.id)))


def verify_case(session, runtime, case_no) -> CaseCheck:
    """The case's event chain is intact and replaying its inputs gives its stored state."""
    case = cases.get_by_no(session, case_no)
    if case is None:
        return CaseCheck(case_no, False, "no such case")
    instance = session.get(Instance, case.instance_id)
    chain = events.verify_stream(session, events.instance_stream(case.instance_id),
                                 head=(instance.event_seq, instance.event_hash))
    if not chain.ok:
        return CaseCheck(case_no, False, f"hash chain broken: {chain.problem}")
    result = replay.replay_instance(session, runtime, case.instance_id)
    if not result.ok:
        return CaseCheck(case_no, False, f"replay differs: {result.problem}")
    return CaseCheck(case_no, True)


def verify_system(session):
    return events.verify_stream(session, events.SYSTEM)
