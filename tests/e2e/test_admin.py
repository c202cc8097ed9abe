"""管理 in a real browser, on a phone: the admin walks the org tree (a refused form shows its
field message, a new grid is added and deactivated), a user's page, the API clients (a new
token shown once), the calendar (a refused upload) and the catalogue, every page within the
phone's width; an officer who opens /admin gets 403."""
import pytest

from tests.e2e.conftest import DESKTOP, PHONE, Web

pytestmark = pytest.mark.e2e

YINGCUI = "350203011003"


def fits(web):
    """The page is no wider than the phone's screen (nothing to scroll sideways)."""
    return web.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_admin_walks_the_admin_pages_on_a_phone_and_an_officer_is_refused(live, browser, db_url, tmp_path):
    shots = db_url.startswith("sqlite")
    phone = Web(browser, live.url, "phone", **PHONE)
    try:
        phone.login("admin")
        page = phone.page
        # the admin's menu, the longest, shows every link on the phone (审计 was cut off once)
        assert page.evaluate("""[...document.querySelectorAll('header nav a')].every(a => {
            const box = a.getBoundingClientRect(); return box.left >= 0 && box.right <= window.innerWidth; })""")
        assert "审计" in page.locator("header nav").inner_text()
        page.click("header nav >> text=管理")
        page.wait_for_selector("#admin-changes, .empty")

        page.click(".admin-tabs >> text=组织机构")
        page.wait_for_selector("#unit-tree")
        assert fits(phone)
        page.select_option("#f-kind", "grid")
        page.select_option("#f-parent_code", YINGCUI)
        page.fill("#f-code", f"{YINGCUI}09")
        page.click("#unit-add button[type=submit]")
        assert page.locator("#f-name-error").inner_text() == "必填"
        page.fill("#f-name", "盈翠社区第9网格")
        page.click("#unit-add button[type=submit]")
        page.wait_for_selector("#unit-facts")
        assert "已新增单位 盈翠社区第9网格" in page.locator(".flash-success").inner_text()
        assert fits(phone)
        if shots:
            phone.shot("admin-unit-phone")
        page.click("#unit-state button[type=submit]")
        assert "已停用 盈翠社区第9网格" in page.locator(".flash-success").inner_text()

        page.click(".admin-tabs >> text=用户")
        page.fill("#user-filters input[name=q]", "officer-350203011003")
        page.click("#user-filters button[type=submit]")
        page.click("#user-list a")
        page.wait_for_selector("#user-password")
        page.fill("#f-password", "new-password-1")
        page.fill("#f-confirm", "something-else")
        page.click("#user-password button[type=submit]")
        assert page.locator("#f-confirm-error").inner_text() == "两次输入的密码不一致"
        assert fits(phone)

        page.click(".admin-tabs >> text=接入系统")
        page.fill("#client-add #f-name", "wechat-portal")
        page.select_option("#client-add #f-channel", "wechat")
        page.click("#client-add button[type=submit]")
        assert page.locator("#token-text").inner_text().startswith("cg_")
        assert page.locator('#client-list tr[data-name="wechat-portal"]').count() == 1
        assert fits(phone)

        page.click(".admin-tabs >> text=工作日历")
        page.wait_for_selector("#calendar-years")  # count() does not wait for the click's page
        assert page.locator('#calendar-years tr[data-year="2026"][data-official="yes"]').count() == 1
        bad = tmp_path / "2027.toml"
        bad.write_text("year = 2027\n", encoding="utf-8")
        page.set_input_files("#f-file", str(bad))
        page.click("#calendar-upload button[type=submit]")
        assert "文件内容有误" in page.locator("#f-file-error").inner_text()
        assert fits(phone)
        if shots:
            phone.shot("admin-calendar-phone")

        page.click(".admin-tabs >> text=案件类别")
        page.wait_for_selector(".category-group")
        assert page.locator('tr[data-code="200115"]').count() == 1
        assert fits(phone)
        assert not phone.errors, phone.errors
    finally:
        phone.close()

    desk = Web(browser, live.url, "desktop", **DESKTOP)
    try:
        desk.login(f"officer-{YINGCUI}")
        assert desk.page.locator("header nav >> text=管理").count() == 0
        response = desk.page.goto("/admin/units")
        assert response.status == 403 and "无权访问" in desk.page.content()
    finally:
        desk.close()
