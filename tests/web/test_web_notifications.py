"""通知 through the test client: the bell's unread count in every signed-in page's header and the
small count endpoint an open page polls; the list, newest first, 20 a page, marking one or all read
(POST with the CSRF token; someone else's is 404); the admins' dead letters of the outbound gateway
and their retry button."""
import re

from sqlalchemy import select

from handlers.notifications.models import Notification, OutboxMessage
from handlers.org.models import User
from tests.handlers.notifications.dead_letter import one_dead_letter, webhook_app
from tests.handlers.notifications.receiver import Receiver
from tests.helpers import City
from tests.web.conftest import Browser, text

SIMING, JIALIAN = "350203", "350203011"


def bell(response):
    """The unread count the header's bell shows (None: no bell on the page)."""
    found = re.search(r'<a id="bell"[^>]*data-count="(\d+)"', text(response))
    return int(found[1]) if found else None


def ids_on(response):
    return [int(n) for n in re.findall(r'<li class="card notice [a-z]+" data-id="(\d+)"', text(response))]


def test_the_bell_counts_unread_on_every_page_of_every_signed_in_user(city, browse):
    assert bell(city.app.test_client().get("/login")) is None
    anonymous = city.app.test_client().get("/notifications/count")
    assert anonymous.status_code == 401 and anonymous.get_json() == {"unread": None}
    city.set_clock("2026-03-02 09:00")
    officer, auditor = browse(f"officer-{SIMING}"), browse("auditor")
    assert bell(officer.get("/tasks")) == 0 and bell(auditor.get("/cases")) == 0
    case_no = city.report()
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="B")
    city.complete(case_no, "dispatch", "dispatcher", action="assign", unit=SIMING)
    for url in ("/tasks", "/cases", f"/cases/{case_no}", "/notifications"):
        assert bell(officer.get(url)) == 1, url
    count = officer.get("/notifications/count")
    assert count.get_json() == {"unread": 1} and count.headers["Cache-Control"] == "no-store"
    assert bell(auditor.get("/cases")) == 0 and auditor.get("/notifications/count").get_json() == {"unread": 0}
    assert bell(browse("intake").get("/tasks")) == 1          # its 受理审核


def test_the_list_is_newest_first_twenty_a_page_and_marks_read(city, browse):
    city.set_clock("2026-03-02 09:00")
    numbers = [city.report(description=f"第{n}处污水") for n in range(21)]
    intake = browse("intake")
    first = intake.get("/notifications")
    assert first.status_code == 200 and bell(first) == 21
    shown = ids_on(first)
    assert len(shown) == 20 and shown == sorted(shown, reverse=True)
    assert f"案件 {numbers[-1]}" in text(first) and f"案件 {numbers[0]}" not in text(first)
    assert "第 1 / 2 页" in text(first)
    second = intake.get("/notifications?page=2")
    assert len(ids_on(second)) == 1 and f"案件 {numbers[0]}" in text(second)

    newest = shown[0]
    forged = intake.post(f"/notifications/{newest}/read", csrf=False)
    assert forged.status_code == 400 and bell(intake.get("/notifications")) == 21
    marked = intake.post(f"/notifications/{newest}/read", {"page": "1"})
    assert marked.status_code == 303 and marked.headers["Location"].endswith("/notifications?page=1")
    page = intake.get("/notifications")
    assert bell(page) == 20 and f'data-id="{newest}"' in text(page)
    assert re.search(rf'<li class="card notice read" data-id="{newest}"', text(page))
    assert newest not in ids_on(intake.get("/notifications?unread=1"))

    # 去办理: read, and on to the task; once the task is done the notification leads to the case.
    oldest = ids_on(second)[0]
    task_id = city.task(numbers[0], "accept_report")["id"]
    go = intake.post(f"/notifications/{oldest}/read", {"go": "1"})
    assert go.status_code == 303 and go.headers["Location"].endswith(f"/tasks/{task_id}")
    city.complete(numbers[0], "accept_report", "intake", decision="void", reason="重复上报")
    again = intake.post(f"/notifications/{oldest}/read", {"go": "1"})
    assert again.headers["Location"].endswith(f"/cases/{numbers[0]}")

    # Someone else's notification does not exist for them.
    other = browse("dispatcher")
    assert other.post(f"/notifications/{newest}/read").status_code == 404
    assert other.post("/notifications/999999999999/read").status_code == 404

    done = intake.post("/notifications/read")
    assert done.status_code == 303
    page = intake.get("/notifications")
    assert bell(page) == 0 and "已将 19 条通知标为已读" in text(page)
    assert ids_on(intake.get("/notifications?unread=1")) == [] and "没有未读通知" in text(
        intake.get("/notifications?unread=1"))


def test_admins_see_the_dead_letters_with_their_last_error_and_retry_them(db_url):
    with Receiver("hook-secret", failures=10**6) as gateway:
        app = webhook_app(db_url, gateway)
        try:
            city = City(app)
            city.setup()
            case_no = one_dead_letter(city)
            cli = app.test_cli_runner()

            assert Browser(app).login(f"officer-{SIMING}").get("/notifications/outbox").status_code == 403
            admin = Browser(app).login("admin")
            page = admin.get("/notifications/outbox")
            assert page.status_code == 200 and "消息推送" in text(page)
            [message_id] = [int(n) for n in re.findall(r'<tr data-id="(\d+)">', text(page))]
            assert case_no in text(page) and "HTTP 500" in text(page) and "2 次" in text(page)
            assert "shiftlead" in text(page) and "死信 1" in text(page)

            assert admin.post(f"/notifications/outbox/{message_id}/retry", csrf=False).status_code == 400
            retried = admin.post(f"/notifications/outbox/{message_id}/retry")
            assert retried.status_code == 303
            page = admin.get("/notifications/outbox")
            assert "已重新排队发送" in text(page) and "没有死信" in text(page)
            assert admin.post(f"/notifications/outbox/{message_id}/retry").status_code == 303   # not dead: said so
            assert "不是死信" in text(admin.get("/notifications/outbox"))
            gateway.failures = 0
            assert cli.invoke(args=["notifications", "deliver"]).output.strip() == "1 sent, 0 failed, 0 dead, 0 lost"
            sent = city.work(lambda s: s.get(OutboxMessage, message_id))
            assert (sent.status, sent.attempts, sent.response_code) == ("sent", 1, 200)
            assert len(gateway.accepted) == 1 and len(gateway.received) == 3
            owner = city.work(lambda s: s.scalar(select(User.username).join(Notification, Notification.user_id == User.id)
                                                 .where(Notification.id == sent.notification_id)))
            assert owner == "shiftlead"
        finally:
            app.extensions["citygrid.db"].dispose()
