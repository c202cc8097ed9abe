"""A city whose outbound webhook keeps failing, and the one dead letter it ends with: the shared
start of the tests of 消息推送 (tests/web/test_web_notifications.py, tests/e2e/test_outbox.py)."""
from tests.conftest import make_app


def webhook_app(db_url, gateway, **config):
    """The app sending 督办 notices to `gateway` (a Receiver), giving up after two attempts."""
    return make_app(db_url, CITYGRID_NOTIFY_GATEWAY="webhook", CITYGRID_NOTIFY_WEBHOOK_URL=gateway.url,
                    CITYGRID_NOTIFY_WEBHOOK_SECRET="hook-secret", CITYGRID_NOTIFY_MAX_ATTEMPTS=2,
                    CITYGRID_NOTIFY_OUTBOUND="supervision", **config)


def one_dead_letter(city):
    """A case filed at 16:10 that runs overdue a working day later; its shift lead's 督办 fails twice
    at the gateway and is dead. Returns the case number."""
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    city.set_clock("2026-03-02 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    city.set_clock("2026-03-03 16:10")
    city.sweep()                                         # overdue: the shift lead's 督办 goes out
    cli = city.app.test_cli_runner()
    assert cli.invoke(args=["notifications", "deliver"]).output.strip() == "0 sent, 1 failed, 0 dead, 0 lost"
    city.set_clock("2026-03-03 16:11")
    assert cli.invoke(args=["notifications", "deliver"]).output.strip() == "0 sent, 0 failed, 1 dead, 0 lost"
    return case_no
