"""The seed's sewage case through the browser, each step by the right user logged in through the
login page: a grid worker reports it from a phone with a photo; intake files it as A; it is
dispatched 思明区 -> 嘉莲街道 -> 盈翠社区, handled with an after-photo, reviewed up to the center,
checked on site by the grid worker and closed by the shift lead. A user of another district cannot
see the case or complete its task. Screenshots of the main pages go to test-artifacts/."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, Web, png
from tests.helpers import SEWAGE

pytestmark = pytest.mark.e2e

GRID_USER = "grid-35020301100301"
SIMING, JIALIAN, YINGCUI = "350203", "350203011", "350203011003"


def dispatch(web, case_no, username, unit=None):
    web.login(username)
    web.open_task(case_no, "dispatch")
    page = web.page
    if unit:
        page.check('input[name=action][value=assign]')
        page.select_option("#f-unit", unit)
    else:
        page.check('input[name=action][value=handle]')
        assert page.locator("#f-unit").is_hidden()
    web.submit_task()


def review(web, case_no, username):
    web.login(username)
    web.open_task(case_no, "review")
    web.page.check('input[name=approved][value=true]')
    web.submit_task()


def test_sewage_case_from_phone_report_to_close(live, browser, db_url):
    city = live
    db = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    phone = Web(browser, city.url, "phone", **PHONE)
    desk = Web(browser, city.url, "desktop", **DESKTOP)
    try:
        # 16:05 — the grid worker reports from the phone, with a photo.
        city.set_clock("2026-03-02 16:05")
        phone.login(GRID_USER)
        page = phone.page
        page.click("nav >> text=上报")
        page.wait_for_url("**/report")                 # loaded: the form's script listens to the search box
        page.fill("input.select-search[data-for=f-category]", "乱倒")
        expect(page.locator("#f-category")).to_have_value("200115")    # the only match is chosen
        page.fill("#f-description", SEWAGE["description"])
        page.fill("#f-address", SEWAGE["address"])
        page.fill("#f-lat", "24.485600")
        page.fill("#f-lng", "118.129700")
        page.select_option("#f-suggested_urgency", "A")
        page.set_input_files("#f-photos", files=[{"name": "sewage.png", "mimeType": "image/png",
                                                   "buffer": png(rgb=(110, 90, 60))}])
        if db == "sqlite":
            phone.shot("report-form-phone")
        page.click("#report-form button[type=submit]")
        page.wait_for_selector("#case-no")
        case_no = page.locator("#case-no").inner_text().strip()
        assert re.fullmatch(r"2026030200\d{3}", case_no)
        assert page.locator(".photos[data-kind=before] img").count() == 1
        shown = city.show(case_no)
        assert shown["status"] == "accepting" and shown["grid"] == "35020301100301"
        assert (shown["lat"], shown["lng"]) == (24.4856, 118.1297)

        # 16:10 — intake files it as A.
        city.set_clock("2026-03-02 16:10")
        desk.login("intake")
        if db == "sqlite":
            desk.page.goto("/tasks")
            desk.shot("inbox-intake-desktop")
        desk.open_task(case_no, "accept_report")
        assert desk.page.locator("#f-category").input_value() == "200115"
        assert desk.page.locator(".photos[data-kind=before] img").count() == 1     # the photo beside the form
        # another category chosen: its 立案条件 and its limits in the hint (暴露垃圾: 1 day for B and C)
        hint = desk.page.locator('[data-field="urgency"] .hint')
        assert "污水废水" in desk.page.locator("#standard-text").inner_text()
        desk.page.wait_for_load_state("load")           # the page's script listens for the change
        desk.page.select_option("#f-category", "200102")
        expect(desk.page.locator("#standard-text")).to_contain_text("暴露垃圾")
        expect(hint).to_have_text("立案时必填：A 1个工作日，B 1个工作日，C 1个工作日")
        desk.page.select_option("#f-category", "200115")
        expect(hint).to_have_text("立案时必填：A 1个工作日，B 2个工作日，C 4个工作日")
        desk.page.check("input[name=urgency][value=A]")
        if db == "sqlite":
            desk.shot("task-accept-desktop")
        desk.submit_task()
        assert city.show(case_no)["urgency"] == "A"

        # Dispatched down level by level; 盈翠社区 handles it itself.
        city.set_clock("2026-03-02 16:20")
        dispatch(desk, case_no, "dispatcher", SIMING)
        dispatch(desk, case_no, f"officer-{SIMING}", JIALIAN)
        dispatch(desk, case_no, f"officer-{JIALIAN}", YINGCUI)
        dispatch(desk, case_no, f"officer-{YINGCUI}")

        # A user of 湖里区 sees neither the case nor its task.
        desk.login("officer-350206")
        handle_id = city.task(case_no, "handle")["id"]
        assert desk.page.goto(f"/cases/{case_no}").status == 404
        assert desk.page.goto(f"/tasks/{handle_id}").status == 404
        desk.page.goto("/cases")
        assert desk.page.locator(f'tr[data-case="{case_no}"]').count() == 0
        token = desk.page.locator("header input[name=csrf_token]").get_attribute("value")
        refused = desk.context.request.post(f"/tasks/{handle_id}", form={
            "csrf_token": token, "action": "done", "result": "不是我们的"}, max_redirects=0)
        assert refused.status == 404
        assert city.show(case_no)["status"] == "handling"

        # 17:00 — handled on the phone-less desktop, with an after-photo; the inbox shows the countdown.
        city.set_clock("2026-03-02 17:00")
        desk.login(f"officer-{YINGCUI}")
        desk.page.goto("/tasks")
        card = desk.page.locator(f'li.task[data-case="{case_no}"][data-step="handle"]')
        assert "light-border-green" in card.get_attribute("class")
        assert "剩余" in card.locator(".light").inner_text()
        desk.open_task(case_no, "handle")
        page = desk.page
        page.check("input[name=action][value=done]")
        page.fill("#f-result", "莲景物业疏通下水道，清理路面")
        page.set_input_files("#f-photos", files=[{"name": "after.png", "mimeType": "image/png",
                                                   "buffer": png(rgb=(60, 160, 90))}])
        if db == "sqlite":
            desk.shot("task-handle-desktop")
        desk.submit_task()

        # Reviewed up: street, district, center.
        city.set_clock("2026-03-03 09:00")
        review(desk, case_no, f"officer-{JIALIAN}")
        review(desk, case_no, f"officer-{SIMING}")
        review(desk, case_no, "dispatcher")

        # The grid worker checks on site, on the phone.
        city.set_clock("2026-03-03 10:00")
        phone.open_task(case_no, "check_result")
        phone.page.check("input[name=passed][value=true]")
        phone.page.fill("#f-note", "现场已无污水")
        if db == "sqlite":
            phone.shot("task-check-phone")
        phone.submit_task()

        # The wrong role within the subtree may see the case but not complete the shift lead's task.
        close_id = city.task(case_no, "close_case")["id"]
        desk.login(f"officer-{YINGCUI}")
        assert desk.page.goto(f"/tasks/{close_id}").status == 403

        # The shift lead closes it.
        desk.login("shiftlead")
        desk.open_task(case_no, "close_case")
        desk.page.fill("#f-comment", "处置到位，结案")
        desk.submit_task()
        shown = city.show(case_no)
        assert shown["status"] == "closed" and shown["open_tasks"] == [] and shown["penalties"] == []

        # The case page: fields, photos before and after, the timeline and the diagram with the path.
        page = desk.page
        page.goto(f"/cases/{case_no}")
        page.wait_for_selector("#diagram[data-ready='1']")
        assert page.locator("#diagram .djs-element.cg-done").count() > 10
        assert page.locator("#diagram .djs-element.cg-flow").count() > 10
        assert page.locator(".photos[data-kind=before] img").count() == 1
        assert page.locator(".photos[data-kind=after] img").count() == 1
        timeline = page.locator(".timeline").inner_text()
        for words in ("上报（网格员上报）", "受理审核", "派遣", "处置", "审核", "核查", "结案", "2026-03-02 16:05"):
            assert words in timeline
        assert "已结案" in page.locator(".page-head .badges").inner_text()
        assert "按期办结" in page.locator("#deadline").inner_text()
        if db == "sqlite":
            desk.shot("case-page-desktop")
            phone.page.goto(f"/cases/{case_no}")
            phone.page.wait_for_selector("#diagram[data-ready='1']")
            phone.shot("case-page-phone")

        # The case list of the command center finds it by number, category and unit.
        page.goto(f"/cases?case_no={case_no}&category=2001&unit={YINGCUI}&status=closed")
        assert page.locator(f'tr[data-case="{case_no}"]').count() == 1
        assert phone.errors == [] and desk.errors == []
    finally:
        phone.close()
        desk.close()


def file_case(city, when, urgency, **report):
    city.set_clock(when)
    case_no = city.report(**report)
    city.complete(case_no, "accept_report", "intake", decision="file", urgency=urgency)
    return case_no


def test_inbox_lights_case_list_and_supervision(live, browser, db_url):
    """Deadline lights in the inbox (green, yellow past 80% of the limit, red overdue, in working
    time), the overdue filter of the case list, and the shift lead's 督办 task after the sweep."""
    city = live
    db = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    red = file_case(city, "2026-03-03 10:10", "A")                              # due 03-04 10:10
    yellow = file_case(city, "2026-03-03 14:50", "A", category="200102", description="小区门口暴露垃圾",
                       address="湖里区湖里街道湖里社区", channel="intake", grid=None, community="350206001001")
    green = file_case(city, "2026-03-03 15:00", "B", category="200509", description="叶厝菜市场门口占道经营",
                      address="集美区侨英街道叶厝菜市场", channel="intake", grid=None, community="350211002003")
    city.set_clock("2026-03-03 16:00")
    waiting = city.report("intake", category="100102", description="莲秀社区路口污水井盖破损", channel="intake",
                          address="思明区嘉莲街道莲秀社区", grid=None, community="350203011001",
                          suggested_urgency="B")
    city.set_clock("2026-03-04 11:00")
    city.sweep()
    assert city.show(red)["penalties"], "the overdue timer records a penalty"

    desk = Web(browser, city.url, "desktop", **DESKTOP)
    phone = Web(browser, city.url, "phone", **PHONE)
    try:
        desk.login("dispatcher")
        desk.page.goto("/tasks")
        lights = {no: desk.page.locator(f'li.task[data-case="{no}"]').get_attribute("class")
                  for no in (red, yellow, green)}
        assert "light-border-red" in lights[red]
        assert "light-border-yellow" in lights[yellow]
        assert "light-border-green" in lights[green]
        assert "已超期" in desk.page.locator(f'li.task[data-case="{red}"] .light').inner_text()
        desk.page.goto("/tasks?urgency=B")
        assert desk.page.locator("li.task").count() == 1
        if db == "sqlite":
            desk.page.goto("/tasks")
            desk.shot("inbox-dispatcher-desktop")

        desk.page.goto("/cases?overdue=1")
        assert desk.page.locator("#case-table tbody tr").count() == 1
        assert desk.page.locator(f'tr[data-case="{red}"]').count() == 1
        desk.page.goto("/cases")
        assert desk.page.locator("#case-table tbody tr").count() == 4
        if db == "sqlite":
            desk.shot("case-list-desktop")

        desk.login("shiftlead")
        desk.page.goto("/tasks")
        assert desk.page.locator(f'li.task[data-case="{red}"][data-step="supervise"]').count() == 1
        desk.page.goto(f"/cases/{red}")
        desk.page.wait_for_selector("#diagram[data-ready='1']")
        assert "超期" in desk.page.locator("#penalties").inner_text()
        if db == "sqlite":
            desk.shot("case-page-overdue-desktop")

        phone.login("intake")
        phone.page.goto("/tasks")
        assert phone.page.locator(f'li.task[data-case="{waiting}"][data-step="accept_report"]').count() == 1
        if db == "sqlite":
            phone.shot("inbox-intake-phone")
            phone.page.goto("/cases")
            phone.shot("case-list-phone")
            phone.page.goto(f"/cases/{yellow}")
            phone.page.wait_for_selector("#diagram[data-ready='1']")
            phone.shot("case-page-open-phone")
        assert phone.errors == [] and desk.errors == []
    finally:
        desk.close()
        phone.close()


def test_suspension_asked_approved_shown_and_resumed_on_the_case_page(live, browser, db_url):
    """挂起 through the browser: the community asks it on its handle form (reason, expected resume
    date), the shift lead approves it on the approval task; the case page then shows why and until
    when, offers the shift lead 恢复 and no 督办; resumed, the case is being handled again and the
    deadline has moved by the working time suspended (Fri 04-03 10:00 to Tue 04-07 09:00: six office
    hours, so a deadline of Tue 04-07 10:00 becomes Wed 04-08 09:00)."""
    city = live
    db = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    case_no = file_case(city, "2026-04-02 10:00", "B")
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    assert city.show(case_no)["due_at"] == "2026-04-07T10:00:00+08:00"
    desk = Web(browser, city.url, "desktop", **DESKTOP)
    try:
        city.set_clock("2026-04-03 09:00")
        desk.login(f"officer-{YINGCUI}")
        desk.open_task(case_no, "handle")
        page = desk.page
        page.check("input[name=action][value=suspend]")
        page.fill("#f-reason", "等待自来水公司停水检修")
        page.fill("#f-resume_on", "2026-04-08")
        desk.submit_task()
        assert city.show(case_no)["status"] == "suspension"

        city.set_clock("2026-04-03 10:00")
        desk.login("shiftlead")
        desk.open_task(case_no, "approve_suspension")
        assert "等待自来水公司停水检修" in page.content()          # what was asked, beside the form
        page.check("input[name=approved][value=true]")
        desk.submit_task()

        page.goto(f"/cases/{case_no}")
        suspension = page.locator("#suspension").inner_text()
        assert "等待自来水公司停水检修" in suspension and "2026-04-08" in suspension
        assert page.locator("#resume-form").count() == 1
        assert page.locator("#supervise-form").count() == 0       # nobody presses a case that stands still
        if db == "sqlite":
            desk.shot("case-page-suspended-desktop")

        city.set_clock("2026-04-07 09:00")
        page.fill("#resume-comment", "第三方已到位")
        page.click("#resume-form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator(".flash-success").count() == 1, page.content()[:3000]
        assert page.locator("#suspension").count() == 0
        assert page.locator("#supervise-form").count() == 1
        shown = city.show(case_no)
        assert shown["status"] == "handling" and shown["due_at"] == "2026-04-08T09:00:00+08:00"
        assert desk.errors == []
    finally:
        desk.close()
