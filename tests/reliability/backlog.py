"""A backlog of real cases, built fast: one case is filed through the real services (report,
accept), then its rows are copied in bulk — the instance with its state, its timer rows, its
hash-chained events (chained again for the copy's own stream), the case row, its units, steps and
open tasks — as the engine would have left each copy. Every task id in a copy is fresh and every
copy has its own case number, so the copies are distinct cases that `audit verify` accepts. About
a thousand copies a second, where filing them one by one through the services takes 15–30 ms each."""
import json
import re
import uuid

from sqlalchemy import func, insert, select, text

from engine import events
from engine.models import Event, Instance, Timer
from handlers.cases import number_search, service as cases
from handlers.cases.models import Case, CaseUnit
from handlers.cases.number_search import CaseNoSuffix
from handlers.evaluation.steps import CaseStep
from handlers.worklist.models import OpenTask

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def file_case(city, reported, filed, urgency="A"):
    """One real case, reported and filed (accepted as `urgency`) through the services."""
    city.set_clock(reported)
    case_no = city.report()
    city.set_clock(filed)
    city.complete(case_no, "accept_report", "intake", decision="file", urgency=urgency)
    return case_no


def _rows(session, table, column, value):
    return [dict(r) for r in session.execute(select(table).where(column == value)).mappings()]


def clone(city, case_no, count, *, first_serial=50000, batch=500):
    """`count` copies of the case `case_no` (numbered from `first_serial` on the template's day);
    returns their case numbers."""
    def template(session):
        case = cases.get_by_no(session, case_no)
        t = dict(instance=_rows(session, Instance.__table__, Instance.__table__.c.id, case.instance_id)[0],
                 case=_rows(session, Case.__table__, Case.__table__.c.id, case.id)[0],
                 timers=_rows(session, Timer.__table__, Timer.__table__.c.instance_id, case.instance_id),
                 units=_rows(session, CaseUnit.__table__, CaseUnit.__table__.c.case_id, case.id),
                 steps=_rows(session, CaseStep.__table__, CaseStep.__table__.c.case_id, case.id),
                 tasks=_rows(session, OpenTask.__table__, OpenTask.__table__.c.case_id, case.id),
                 events=_rows(session, Event.__table__, Event.__table__.c.stream,
                              events.instance_stream(case.instance_id)))
        return t
    t = city.work(template)
    t["events"].sort(key=lambda e: e["seq"])
    prefix = case_no[:-5]
    numbers = []
    for start in range(0, count, batch):
        def write(session, start=start):
            instance_id = session.scalar(select(func.max(Instance.id))) + 1
            case_id = session.scalar(select(func.max(Case.id))) + 1
            out = {name: [] for name in ("instances", "timers", "events", "cases", "units", "steps", "tasks",
                                         "suffixes")}
            for i in range(start, min(start + batch, count)):
                number = f"{prefix}{first_serial + i:05d}"
                fresh = {}

                def sub(text):
                    text = UUID.sub(lambda m: fresh.setdefault(m.group(0), str(uuid.uuid4())), text)
                    return text.replace(case_no, number)

                def sub_json(value):
                    return json.loads(sub(json.dumps(value, ensure_ascii=False)))

                head, chained = events.chain((0, events.GENESIS), stream=events.instance_stream(instance_id), rows=[
                    dict(e, instance_id=instance_id, data=sub_json(e["data"])) for e in t["events"]])
                out["events"] += chained
                out["instances"].append(dict(t["instance"], id=instance_id, state=sub(t["instance"]["state"]),
                                             event_seq=head[0], event_hash=head[1]))
                out["timers"] += [dict({k: v for k, v in r.items() if k != "id"}, instance_id=instance_id,
                                       task_id=sub(r["task_id"])) for r in t["timers"]]
                out["cases"].append(dict(t["case"], id=case_id, instance_id=instance_id, case_no=number))
                out["units"] += [dict(r, case_id=case_id) for r in t["units"]]
                out["suffixes"] += number_search.rows(case_id, number)
                out["steps"] += [dict({k: v for k, v in r.items() if k != "id"}, case_id=case_id) for r in t["steps"]]
                out["tasks"] += [dict(r, task_id=sub(r["task_id"]), instance_id=instance_id, case_id=case_id)
                                 for r in t["tasks"]]
                numbers.append(number)
                instance_id, case_id = instance_id + 1, case_id + 1
            connection = session.connection()
            for table, rows in ((Instance, out["instances"]), (Timer, out["timers"]), (Event, out["events"]),
                                (Case, out["cases"]), (CaseUnit, out["units"]), (CaseStep, out["steps"]),
                                (OpenTask, out["tasks"]), (CaseNoSuffix, out["suffixes"])):
                if rows:
                    connection.execute(insert(table.__table__), rows)
        city.work(write)
    if city.db.engine.dialect.name == "postgresql":     # explicit ids leave the serial sequences behind
        def catch_up(session):
            for table in ("instances", "cases"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))"))
        city.work(catch_up)
    return numbers
