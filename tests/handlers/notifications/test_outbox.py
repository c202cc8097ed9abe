"""The outbound gateway's outbox against a real local HTTP receiver (a thread in the test), in
simulated time, on SQLite and PostgreSQL: a gateway that fails three times gets the message exactly
once after the backoff, every attempt signed and carrying the same idempotency key; one that stays
down loses nothing and ends in the dead letters, which go out again when retried; two sweepers at
once never send one message twice; the logging gateway is the default."""
import logging
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.notifications import outbox
from handlers.notifications.models import OutboxAttempt, OutboxMessage
from tests.conftest import make_app
from tests.commandline import last, run
from tests.handlers.notifications.receiver import Receiver
from tests.helpers import City, at

SECRET = "s3cret-shared-with-the-gateway"
SIMING = "350203"


@pytest.fixture
def webhook_city(db_url):
    """make(receiver, **config): the product on `db_url` sending to the receiver's webhook."""
    made = []

    def make(receiver, **config):
        app = make_app(db_url, CITYGRID_NOTIFY_GATEWAY="webhook", CITYGRID_NOTIFY_WEBHOOK_URL=receiver.url,
                       CITYGRID_NOTIFY_WEBHOOK_SECRET=SECRET, CITYGRID_NOTIFY_TIMEOUT_SECONDS=5, **config)
        city = City(app)
        city.setup()
        made.append(app)
        return city
    yield make
    for app in made:
        app.extensions["citygrid.db"].dispose()


def overdue_case(city):
    """A case at 思明区 that fell overdue at 2026-03-03 16:10 (swept then)."""
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    city.set_clock("2026-03-02 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    city.assign_down(case_no, SIMING)
    city.set_clock("2026-03-03 16:10")
    city.sweep()
    return case_no


def deliver(city):
    result = run(city.app.test_cli_runner(), "notifications", "deliver")
    return last(result)


def messages(city):
    return city.work(lambda s: list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))))


def attempts(city):
    return city.work(lambda s: [(a.ok, a.response_code, a.at) for a in s.scalars(select(OutboxAttempt)
                                                                                 .order_by(OutboxAttempt.id))])


def advance(city, **delta):
    city.set_clock(city.now() + timedelta(**delta))


def test_three_failures_then_delivered_exactly_once_with_backoff_in_simulated_time(webhook_city):
    with Receiver(SECRET, failures=3) as gateway:
        city = webhook_city(gateway, CITYGRID_NOTIFY_OUTBOUND="overdue", CITYGRID_NOTIFY_RETRY_SECONDS=60)
        case_no = overdue_case(city)
        [message] = messages(city)
        assert (message.kind, message.recipient, message.status) == ("overdue", f"officer-{SIMING}", "pending")

        assert deliver(city) == "0 sent, 1 failed, 0 dead, 0 lost"          # 16:10:00 — 500
        assert deliver(city) == "0 sent, 0 failed, 0 dead, 0 lost"          # not due again before its backoff
        advance(city, seconds=59)
        assert deliver(city) == "0 sent, 0 failed, 0 dead, 0 lost"
        advance(city, seconds=1)
        assert deliver(city) == "0 sent, 1 failed, 0 dead, 0 lost"          # 16:11:00 — 500, then wait 2 min
        advance(city, seconds=119)
        assert deliver(city) == "0 sent, 0 failed, 0 dead, 0 lost"
        advance(city, seconds=1)
        assert deliver(city) == "0 sent, 1 failed, 0 dead, 0 lost"          # 16:13:00 — 500, then wait 4 min
        advance(city, seconds=240)
        assert deliver(city) == "1 sent, 0 failed, 0 dead, 0 lost"          # 16:17:00 — 200
        advance(city, hours=2)
        assert deliver(city) == "0 sent, 0 failed, 0 dead, 0 lost"          # never again

    times = ["2026-03-03 16:10", "2026-03-03 16:11", "2026-03-03 16:13", "2026-03-03 16:17"]
    assert [r.answered for r in gateway.received] == [500, 500, 500, 200]
    assert len({r.key for r in gateway.received}) == 1 and list(gateway.accepted) == [message.idempotency_key]
    assert all(r.signature_ok for r in gateway.received)
    assert [int(r.timestamp) for r in gateway.received] == [int(at(t).timestamp()) for t in times]
    body = gateway.accepted[message.idempotency_key]
    assert body["kind"] == "overdue" and body["kind_label"] == "超期" and body["case_no"] == case_no
    assert body["recipient"]["username"] == f"officer-{SIMING}" and body["recipient"]["unit_name"] == "思明区"
    assert body["text"].startswith(f"超期：案件 {case_no} 已超过处置时限") and body["link"] == f"/cases/{case_no}"

    [sent] = messages(city)
    assert (sent.status, sent.attempts, sent.response_code, sent.sent_at) == ("sent", 4, 200, at(times[-1]))
    assert attempts(city) == [(False, 500, at(times[0])), (False, 500, at(times[1])), (False, 500, at(times[2])),
                              (True, 200, at(times[3]))]


def test_a_gateway_that_stays_down_loses_nothing_then_dead_letters_that_go_out_when_retried(webhook_city):
    with Receiver(SECRET, failures=10**6) as gateway:
        city = webhook_city(gateway, CITYGRID_NOTIFY_MAX_ATTEMPTS=3, CITYGRID_NOTIFY_RETRY_SECONDS=60)
        case_no = overdue_case(city)
        assert sorted(m.kind for m in messages(city)) == ["overdue", "supervision"]
        assert deliver(city) == "0 sent, 2 failed, 0 dead, 0 lost"
        advance(city, minutes=1)
        assert deliver(city) == "0 sent, 2 failed, 0 dead, 0 lost"
        advance(city, minutes=2)
        assert deliver(city) == "0 sent, 0 failed, 2 dead, 0 lost"          # the third attempt was the last
        advance(city, hours=5)
        assert deliver(city) == "0 sent, 0 failed, 0 dead, 0 lost"
        assert len(gateway.received) == 6 and not gateway.accepted

        cli = city.app.test_cli_runner()
        listing = run(cli, "notifications", "dead").stdout.splitlines()
        assert listing[-1] == "2 dead letters"
        assert all(case_no in line and "attempts=3" in line and "code=500" in line and "HTTP 500" in line
                   for line in listing[:-1])

        gateway.failures = 0                                                 # the gateway is back
        assert last(run(cli, "notifications", "retry", "--all")) == "2 messages queued again"
        assert deliver(city) == "2 sent, 0 failed, 0 dead, 0 lost"
    assert len(gateway.accepted) == 2 and {m.status for m in messages(city)} == {"sent"}
    assert [len([a for a in attempts(city) if not a[0]]), len([a for a in attempts(city) if a[0]])] == [6, 2]
    result = city.app.test_cli_runner().invoke(args=["notifications", "retry", str(messages(city)[0].id)])
    assert result.exit_code != 0 and "不是死信" in result.output


def test_two_sweepers_at_once_send_each_message_once(webhook_city):
    with Receiver(SECRET, delay=0.2) as gateway:
        city = webhook_city(gateway, CITYGRID_NOTIFY_OUTBOUND="all")
        city.set_clock("2026-03-02 09:00")
        for n in range(3):
            case_no = city.report(description=f"第{n}处污水")
            city.complete(case_no, "accept_report", "intake", decision="file", urgency="C")
        queued = messages(city)
        assert sorted(m.recipient for m in queued) == ["dispatcher"] * 3 + ["intake"] * 3
        app = city.app
        results, errors = [], []

        def sweeper():
            try:
                results.append(outbox.deliver(city.db, city.runtime.clock, app.extensions["citygrid.notify_gateway"],
                                              app.extensions["citygrid.notify_policy"]))
            except Exception as exc:   # surfaced below
                errors.append(exc)
        threads = [threading.Thread(target=sweeper) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    assert sum(r.sent for r in results) == 6 and sum(r.lost for r in results) == 0
    assert all(r.sent > 0 for r in results)                                 # both took part
    assert len(gateway.received) == 6 and len({r.key for r in gateway.received}) == 6
    assert {m.status for m in messages(city)} == {"sent"}


def test_a_claim_taken_over_after_its_lease_is_recorded_once(city):
    overdue_case(city)
    policy = city.app.extensions["citygrid.notify_policy"]

    def claim():
        return city.work(lambda s: outbox.claim_one(s, city.runtime.clock.now(), policy))

    def record(claimed):
        return city.work(lambda s: outbox.record(s, claimed, city.runtime.clock.now(), policy, response_code=200))
    first = claim()
    assert first is not None and claim().id != first.id                   # leased: the next claim takes the other
    advance(city, seconds=policy.lease_seconds)                            # the first sender went quiet
    again = claim()
    assert again.id == first.id and again.version > first.version
    assert again.message.idempotency_key == first.message.idempotency_key
    assert record(first) is None                                           # its claim was lost: nothing written
    assert record(again) == "sent"
    found = city.work(lambda s: s.get(OutboxMessage, first.id))
    assert (found.status, found.attempts) == ("sent", 2)
    assert len(city.work(lambda s: outbox.attempts_of(s, first.id))) == 1


def test_the_logging_gateway_is_the_default(city, caplog):
    case_no = overdue_case(city)
    with caplog.at_level(logging.INFO, logger="handlers.notifications.gateways"):
        assert deliver(city) == "2 sent, 0 failed, 0 dead, 0 lost"
    logged = [r.getMessage() for r in caplog.records if r.name == "handlers.notifications.gateways"]
    assert len(logged) == 2 and all(case_no in line for line in logged)
    assert any("to shiftlead" in line and "督办" in line for line in logged)
    assert {m.status for m in messages(city)} == {"sent"}


def test_serve_runs_the_delivery_sweep_beside_the_timer_sweep(city):
    from engine import scheduler
    from handlers.notifications import scheduled
    city.app.config["CITYGRID_SWEEP_SECONDS"] = 3600                     # (neither runs during the test)
    running = scheduler.start(city.app)
    try:
        jobs = {job.id: job.trigger.interval for job in running.get_jobs()}
    finally:
        running.shutdown(wait=False)
    # (and the stamps' check, every sweep interval as the app was made: the sweeping process serves
    # no request to refresh its caches in)
    assert jobs == {"timers.sweep": timedelta(hours=1), scheduled.JOB_ID: timedelta(seconds=10),
                    "caches.refresh": timedelta(seconds=5)}


@pytest.mark.parametrize("config, says", [
    ({"CITYGRID_NOTIFY_GATEWAY": "webhook", "CITYGRID_NOTIFY_WEBHOOK_URL": "https://gw.example/hook"},
     "CITYGRID_NOTIFY_WEBHOOK_SECRET"),
    ({"CITYGRID_NOTIFY_GATEWAY": "webhook", "CITYGRID_NOTIFY_WEBHOOK_URL": "file:///etc/passwd",
      "CITYGRID_NOTIFY_WEBHOOK_SECRET": "x"}, "http(s)"),
    ({"CITYGRID_NOTIFY_GATEWAY": "sms"}, "CITYGRID_NOTIFY_GATEWAY"),
    ({"CITYGRID_NOTIFY_OUTBOUND": "overdue,everything"}, "everything"),
])
def test_a_gateway_configured_wrongly_stops_the_app_at_start(tmp_path, config, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        make_app(f"sqlite:///{tmp_path / 'x.db'}", **config)
