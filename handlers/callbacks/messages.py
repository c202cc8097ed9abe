"""The messages a unit of work sends back to the client that reported its case: an engine listener
(after the case row's listener, `cases.summary`, whose row it reads) writes one outbox row per
event — the case filed (立案), closed (结案), voided (作废) or merged (并案) — in the step's own
transaction, so a step that rolls back sends nothing and a committed one cannot lose its message.

It runs on every step, so it is cheap: a case not reported by a client (the reporter is not
`client:<name>`) or with no transition in this unit of work returns before any query; only a
transition of a client's case asks whether the client has a callback (one indexed read).

Once per event: the idempotency key `callback:<case no>:<event>` is unique in the outbox and the
row is inserted with ON CONFLICT DO NOTHING, so a re-run never writes a second one and never
refuses the step. The receiver drops repeats by the same key (`Idempotency-Key`)."""
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import localtime
from ..cases import summary
from ..cases.service import case_of
from ..cases.statuses import is_ended
from ..notifications.models import OutboxMessage
from ..notifications.outbox import PENDING
from ..org.tokens import ApiClient
from .models import ClientCallback
from .service import KIND

CLIENT_PREFIX = "client:"
EVENTS = {"filed": "立案", "closed": "结案", "voided": "作废", "merged": "并案", "closed_on_spot": "当场处置结案"}


def key_of(case_no, event):
    return f"callback:{case_no}:{event}"


def transitions(before, case):
    """The events of this unit of work: filed (it has a filing time now) and ended (its status is an end now)."""
    status, filed_at = before
    found = []
    if filed_at is None and case.filed_at is not None:
        found.append("filed")
    if not is_ended(status or "") and is_ended(case.status):
        found.append(case.status)
    return found


def result_text(event, case, data):
    """What the citizen is told: the grading and deadline when filed, the handling's result when
    closed, the reason when voided, the case it joined when merged."""
    if event == "filed":
        return f"已立案（紧急程度 {case.urgency or '—'}），处置时限 {localtime.show(case.due_at) or '—'}"
    if event == "closed":
        return f"已结案：{data.get('result') or '已处置'}"
    if event == "voided":
        return f"不予立案（作废）：{data.get('reason') or '—'}"
    if event == "merged":
        return f"与案件 {case.merged_into} 为同一问题，已并入该案件办理"
    return EVENTS.get(event, event)


def payload_of(event, case, client_name, data, at):
    """The JSON the client receives for one event of its case (README: Results back to the channels)."""
    return {"id": key_of(case.case_no, event), "event": event, "event_label": EVENTS.get(event, event),
            "case_no": case.case_no, "channel": case.channel, "external_ref": case.external_ref,
            "status": case.status, "result": result_text(event, case, data),
            "merged_into": case.merged_into, "due_at": localtime.isoformat(case.due_at),
            "at": localtime.isoformat(at), "client": client_name}


def refresh(session, loaded):
    """Listener: the callback messages of what this unit of work did to a client's case."""
    case = case_of(session, loaded)
    if case is None or not (case.reporter or "").startswith(CLIENT_PREFIX):
        return
    found = transitions(loaded.scratch.get(summary.BEFORE) or (None, None), case)
    if not found:
        return
    name = case.reporter[len(CLIENT_PREFIX):]
    client_id = session.scalar(select(ApiClient.id).join(ClientCallback, ClientCallback.client_id == ApiClient.id)
                               .where(ApiClient.name == name))
    if client_id is None:
        return
    at = loaded.context.at
    data = loaded.main_task().data
    rows = [dict(client_id=client_id, idempotency_key=key_of(case.case_no, event), kind=KIND, recipient=name,
                 payload=payload_of(event, case, name, data, at), status=PENDING, attempts=0, next_attempt_at=at,
                 created_at=at, version=1) for event in found]
    dialect_insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    session.connection().execute(dialect_insert(OutboxMessage.__table__)
                                 .on_conflict_do_nothing(index_elements=["idempotency_key"]), rows)
