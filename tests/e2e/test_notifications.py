"""The bell in a real browser: an officer's open page shows the unread count rise when a case is
dispatched to their district, without reloading (the page polls the count); the bell leads to
通知, whose 去办理 opens the task and marks the notification read."""
import pytest

from tests.e2e.conftest import DESKTOP, PHONE, Web

pytestmark = pytest.mark.e2e

SIMING = "350203"


def test_the_bell_counts_a_new_task_without_a_reload(live, browser, db_url):
    city = live
    city.app.config["CITYGRID_NOTIFY_POLL_SECONDS"] = 1      # read per page: ask every second
    city.set_clock("2026-03-02 09:00")
    case_no = city.report()
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="B")
    desk = Web(browser, city.url, "desktop", **DESKTOP)
    try:
        desk.login(f"officer-{SIMING}")
        page = desk.page
        page.goto("/tasks")
        bell = page.locator("#bell")
        assert bell.get_attribute("data-count") == "0" and page.locator("#bell .bell-count").is_hidden()
        page.evaluate("window.stillTheSamePage = true")

        city.complete(case_no, "dispatch", "dispatcher", action="assign", unit=SIMING)
        page.locator("#bell[data-count='1']").wait_for(timeout=10000)   # (the CSP forbids wait_for_function's eval)
        assert page.locator("#bell .bell-count").inner_text() == "1"
        assert page.locator("#bell .bell-count").is_visible()
        assert page.evaluate("window.stillTheSamePage") is True             # the same page, not reloaded
        assert bell.get_attribute("aria-label") == "通知，1 条未读"

        bell.click()
        page.wait_for_selector("ul.notifications")
        notice = page.locator("li.notice.unread")
        assert notice.count() == 1 and case_no in notice.inner_text() and "新待办「派遣」" in notice.inner_text()
        if db_url.startswith("sqlite"):
            desk.shot("notifications-desktop")
        notice.locator("button.primary").click()
        page.wait_for_selector("#task-form")
        assert page.locator("#bell").get_attribute("data-count") == "0"
        assert page.locator("#bell .bell-count").is_hidden()
        assert not desk.errors, desk.errors
    finally:
        desk.close()
    if db_url.startswith("sqlite"):
        phone = Web(browser, city.url, "phone", **PHONE)
        try:
            phone.login("intake")
            phone.page.goto("/notifications")
            assert phone.page.locator("#bell").is_visible()
            phone.shot("notifications-phone")
            assert not phone.errors, phone.errors
        finally:
            phone.close()
