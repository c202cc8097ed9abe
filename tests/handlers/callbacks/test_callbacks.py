"""Results back to the channels, against a real local HTTP receiver that checks every message with
the README's recipe, driven by the delivery sweep in simulated time, on SQLite and PostgreSQL: each
event of a client's case delivered once, retried with backoff while the receiver answers 500, never
twice; listed for the admin with its state; no message for a case no client with a callback reported."""
from datetime import timedelta

from handlers.cases.forms import ReportSchema
from handlers.intake import channels
from handlers.org import tokens
from tests.commandline import last, refused, run
from tests.handlers.callbacks.receiver import Receiver
from tests.helpers import at

YINGCUI, JIALIAN, SIMING, CENTER = "350203011003", "350203011", "350203", "350200"
CALL = {"category": "200509", "description": "市民来电：占道经营", "community": YINGCUI}


def client_report(city, name, ref):
    def do(session):
        client = tokens.get_client_by_name(session, name)
        case, _ = channels.client_report(session, city.runtime, city.directory, client=client, channel=client.channel,
                                         data=channels.IntakeReportSchema().load({**CALL, "external_ref": ref}))
        return case.case_no
    return city.work(do)


def deliver(city, receiver):
    receiver.now = city.now().timestamp()
    return last(run(city.app.test_cli_runner(), "notifications", "deliver"))


def advance(city, **delta):
    city.set_clock(city.now() + timedelta(**delta))


def close(city, case_no):
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="已劝离摊贩，恢复通行")
    city.review_up(case_no, JIALIAN, SIMING, CENTER)
    city.complete(case_no, "check_result", "grid-35020301100301", passed=True)
    city.complete(case_no, "close_case", "shiftlead")


def test_each_event_is_delivered_once_signed_with_backoff_while_the_receiver_is_down(city):
    cli = city.app.test_cli_runner()
    run(cli, "clients", "add", "hotline-xm", "--channel", "hotline12345")
    run(cli, "clients", "add", "portal", "--channel", "web")            # a client without a callback
    with Receiver() as receiver:
        receiver.secret = last(run(cli, "clients", "set-callback", "hotline-xm", receiver.url))
        assert receiver.secret.startswith("cgcb_")
        city.set_clock("2026-03-02 16:05")
        case_no = client_report(city, "hotline-xm", "12345-0815")
        quiet = client_report(city, "portal", "web-1")
        staff = city.report(username="intake", channel="hotline12345", external_ref="12345-0816", grid=None,
                            community=YINGCUI)
        assert deliver(city, receiver) == "0 sent, 0 failed, 0 dead, 0 lost"     # a report is no event

        city.set_clock("2026-03-02 16:10")
        for other in (quiet, staff):
            city.complete(other, "accept_report", "intake", decision="file", urgency="C")
        city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
        receiver.down = True
        assert deliver(city, receiver) == "0 sent, 1 failed, 0 dead, 0 lost"     # 16:10:00 — 500
        advance(city, seconds=59)
        assert deliver(city, receiver) == "0 sent, 0 failed, 0 dead, 0 lost"     # not before its backoff
        advance(city, seconds=1)
        assert deliver(city, receiver) == "0 sent, 1 failed, 0 dead, 0 lost"     # 16:11:00 — 500, then 2 min
        listed = run(cli, "clients", "callbacks", "hotline-xm").stdout.splitlines()
        assert " filed " in listed[0] and "pending attempts=2 code=500" in listed[0]
        assert listed[-1] == "1 pending, 0 sending, 0 sent, 0 dead"
        receiver.down = False
        advance(city, seconds=120)
        assert deliver(city, receiver) == "1 sent, 0 failed, 0 dead, 0 lost"     # 16:13:00 — 200
        advance(city, hours=3)
        assert deliver(city, receiver) == "0 sent, 0 failed, 0 dead, 0 lost"     # never again

        city.set_clock("2026-03-03 10:00")
        close(city, case_no)
        close(city, quiet)
        assert deliver(city, receiver) == "1 sent, 0 failed, 0 dead, 0 lost"
        assert deliver(city, receiver) == "0 sent, 0 failed, 0 dead, 0 lost"

    filed, closed = f"callback:{case_no}:filed", f"callback:{case_no}:closed"
    assert [(r.key, r.answered) for r in receiver.received] == [(filed, 500), (filed, 500), (filed, 200),
                                                                (closed, 200)]
    assert all(r.verified for r in receiver.received)
    assert [r.timestamp for r in receiver.received] == [
        int(at(t).timestamp()) for t in ("2026-03-02 16:10", "2026-03-02 16:11", "2026-03-02 16:13", "2026-03-03 10:00")]
    assert receiver.accepted[filed] == {
        "id": filed, "event": "filed", "event_label": "立案", "case_no": case_no, "channel": "hotline12345",
        "external_ref": "12345-0815", "status": "dispatching", "result": "已立案（紧急程度 A），处置时限 2026-03-03 16:10",
        "merged_into": None, "due_at": "2026-03-03T16:10:00+08:00", "at": "2026-03-02T16:10:00+08:00",
        "client": "hotline-xm"}
    assert {k: receiver.accepted[closed][k] for k in ("event", "status", "result", "external_ref", "at")} == {
        "event": "closed", "status": "closed", "result": "已结案：已劝离摊贩，恢复通行", "external_ref": "12345-0815",
        "at": "2026-03-03T10:00:00+08:00"}

    listed = run(cli, "clients", "callbacks", "hotline-xm").stdout.splitlines()
    assert [line.split()[1:4] for line in listed[:-1]] == [["closed", case_no, "sent"], ["filed", case_no, "sent"]]
    assert "attempts=3 code=200" in listed[1]
    assert listed[-1] == "0 pending, 0 sending, 2 sent, 0 dead"
    assert run(cli, "clients", "callbacks", "portal").stdout.splitlines() == ["0 pending, 0 sending, 0 sent, 0 dead"]
    assert refused(cli.invoke(args=["clients", "callbacks", "nobody"])) == "Error: 没有接入系统 nobody"


def test_voided_and_merged_cases_tell_their_client_and_a_bad_signature_is_refused(city):
    cli = city.app.test_cli_runner()
    run(cli, "clients", "add", "police", "--channel", "transfer110")
    with Receiver() as receiver:
        secret = last(run(cli, "clients", "set-callback", "police", receiver.url))
        receiver.secret = "not-the-secret"
        city.set_clock("2026-03-02 09:00")
        first, second, third = (client_report(city, "police", f"110-{n}") for n in (1, 2, 3))
        city.complete(first, "accept_report", "intake", decision="void", reason="非城市管理问题")
        assert deliver(city, receiver) == "0 sent, 1 failed, 0 dead, 0 lost"        # 401: not our secret
        assert refused(cli.invoke(args=["clients", "set-callback", "police", "ftp://x"])).startswith(
            "Error: url: 回调地址须为 http:// 或 https://")
        receiver.secret = secret
        city.complete(second, "accept_report", "intake", decision="file", urgency="B")
        city.complete(third, "accept_report", "intake", decision="merge", duplicate_of=second)
        advance(city, minutes=1)
        assert deliver(city, receiver) == "3 sent, 0 failed, 0 dead, 0 lost"
    taken = {m["case_no"]: (m["event"], m["status"], m["result"]) for m in receiver.accepted.values()
             if m["event"] != "filed"}
    assert taken == {first: ("voided", "voided", "不予立案（作废）：非城市管理问题"),
                     third: ("merged", "merged", f"与案件 {second} 为同一问题，已并入该案件办理")}
    assert [r.answered for r in receiver.received if r.body["case_no"] == first] == [401, 200]
