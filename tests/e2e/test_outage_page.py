"""The database gone, in a real browser: a page being read answers 503 with its own page (no
server error), which reloads itself and shows the list again once the database is back, the
sign-in kept; a form sent during the outage says it was not saved, and sent again afterwards it
is saved once. The database is a PostgreSQL cluster of this test's own (tests/reliability/postgres.py),
stopped and started by it; the shared server is never touched."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from engine.models import Event
from handlers import errors
from handlers.cases.models import Case
from tests.conftest import serving
from tests.e2e.conftest import DESKTOP, Web
from tests.reliability.conftest import city_on
from tests.reliability.postgres import cluster  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e


def test_the_outage_page_reloads_itself_and_a_form_sent_meanwhile_is_saved_once_sent_again(browser, cluster):
    city = city_on(cluster.url)
    try:
        city.set_clock("2026-03-02 16:05")
        case_no = city.report()
        with serving(city):
            desk = Web(browser, city.url, "desktop", **DESKTOP)
            try:
                desk.login("intake")
                page = desk.page
                desk.open_task(case_no, "accept_report")
                page.check("input[name=urgency][value=A]")

                cluster.stop("fast")
                page.click("#task-form button[type=submit]")          # sent while the database is down
                page.wait_for_selector("h1.error-code")
                assert page.locator("h1.error-code").inner_text() == "503"
                assert page.locator(".error-message").inner_text() == errors.UNREACHABLE
                assert "刚才提交的内容没有保存" in page.locator("main").inner_text()

                answered = page.goto("/tasks")                        # a page being read
                assert answered.status == 503 and answered.headers["retry-after"] == "5"
                assert "秒后自动刷新" in page.locator("main").inner_text()
                cluster.start()
                # its own reload (5 s later) shows the list, still signed in
                expect(page.locator(f'li.task[data-case="{case_no}"][data-step="accept_report"]')).to_be_visible(
                    timeout=20000)
                assert page.locator("header .me").count() == 1
                assert city.show(case_no)["urgency"] is None               # the form sent meanwhile: not saved

                desk.open_task(case_no, "accept_report")              # sent again: saved, once
                page.check("input[name=urgency][value=A]")
                desk.submit_task()
                assert city.show(case_no)["urgency"] == "A"
                assert city.show(case_no)["status"] == "dispatching"
                accepted = city.work(lambda s: s.scalar(
                    select(func.count()).select_from(Event).join(Case, Case.instance_id == Event.instance_id)
                    .where(Case.case_no == case_no, Event.kind == "task_completed", Event.step == "accept_report")))
                assert accepted == 1
                assert not desk.errors, desk.errors
            finally:
                desk.close()
    finally:
        city.db.dispose()
