"""消息推送 in a real browser: an admin reaches the dead letters from the header, sees the message the
gateway kept refusing (its case, recipient, attempts and last error), sends it again with 重新发送
and is told it is queued; once the next delivery has sent it, the page on a phone counts it sent
and no dead letter."""
import pytest

from tests.conftest import serving
from tests.e2e.conftest import DESKTOP, PHONE, Web
from tests.handlers.notifications.dead_letter import one_dead_letter, webhook_app
from tests.handlers.notifications.receiver import Receiver
from tests.helpers import City

pytestmark = pytest.mark.e2e


def test_an_admin_sees_a_dead_letter_and_sends_it_again(browser, db_url, tmp_path):
    with Receiver("hook-secret", failures=10**6) as gateway:
        app = webhook_app(db_url, gateway, CITYGRID_UPLOAD_DIR=str(tmp_path / "uploads"))
        city = City(app)
        try:
            city.setup()
            case_no = one_dead_letter(city)
            cli = app.test_cli_runner()

            with serving(city):
                desk = Web(browser, city.url, "desktop", **DESKTOP)
                try:
                    desk.login("admin")
                    page = desk.page
                    page.click("header nav >> text=消息推送")
                    page.wait_for_selector("table.outbox")
                    row = page.locator("table.outbox tbody tr")
                    assert row.count() == 1
                    cells = row.inner_text()
                    assert case_no in cells and "shiftlead" in cells and "2 次" in cells
                    assert cells.count("HTTP 500") == 1           # the code once, not again before the error that says it
                    assert "死信 1" in page.locator(".outbox-counts").inner_text()
                    if db_url.startswith("sqlite"):
                        desk.shot("outbox-desktop")

                    row.locator("button", has_text="重新发送").click()
                    page.wait_for_selector(".flash-success")
                    assert "已重新排队发送" in page.locator(".flash-success").inner_text()
                    assert page.locator("table.outbox").count() == 0 and "没有死信" in page.locator("p.empty").inner_text()
                    assert "待发送 1" in page.locator(".outbox-counts").inner_text()
                    assert not desk.errors, desk.errors
                finally:
                    desk.close()

                gateway.failures = 0
                assert cli.invoke(args=["notifications", "deliver"]).output.strip() == "1 sent, 0 failed, 0 dead, 0 lost"

                phone = Web(browser, city.url, "phone", **PHONE)
                try:
                    phone.login("admin")
                    phone.page.goto("/notifications/outbox")
                    counts = phone.page.locator(".outbox-counts").inner_text()
                    assert "已发送 1" in counts and "死信 0" in counts
                    assert not phone.errors, phone.errors
                finally:
                    phone.close()
        finally:
            app.extensions["citygrid.db"].dispose()
