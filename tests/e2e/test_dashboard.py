"""态势 and 考评 in the browser on the scripted November of tests/handlers/supervision/test_dashboard.py,
as the city's supervisor (市城管委), 思明区's (区政府) and 盈翠社区's officer, on a phone and a desktop:
every number the page shows is the API's for the same month, the charts are drawn, a tile opens the
list of its cases, the city drills down to a community's cases, the evaluation's tables sort and its
downloads are the API's files; the district supervisor sees nothing of another district.
Screenshots (SQLite run) go to test-artifacts/."""
import re

import pytest
import requests

from tests.e2e.conftest import DESKTOP, PHONE, Web
from tests.handlers.evaluation.test_month import HULI, JIALIAN, SIMING, YINGCUI, sweep_all
from tests.handlers.supervision.test_dashboard import NOW, november

pytestmark = pytest.mark.e2e

CHARTS = ("chart-daily", "chart-categories", "chart-ages", "chart-lights")


class Api:
    """The live server's API as one user (a token from its login endpoint)."""

    def __init__(self, base, username):
        self.base = base
        answer = requests.post(f"{base}/api/v1/auth/token", json={"username": username, "password": "demo"},
                               timeout=30)
        assert answer.status_code == 201, answer.text
        self.headers = {"Authorization": f"Bearer {answer.json()['token']}"}

    def get(self, path, **params):
        answer = requests.get(self.base + path, params=params, headers=self.headers, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer


def keyed(items, key, value):
    return next(item for item in items if item[key] == value)


def at_path(document, path):
    """The API's value behind a tile's data-figure path (today.reported, current.light.red, ...)."""
    block, name, *rest = path.split(".")
    found = document[block]
    if name == "channel":
        found = keyed(found["channels"], "key", rest[0])
    elif name == "status":
        found = keyed(found["statuses"], "key", rest[0])
    elif name == "light":
        found = keyed(found["lights"], "key", rest[0])
    elif name == "category":
        found = keyed(found["categories"], "key", rest[0])
    elif name == "age":
        found = keyed(keyed(found["ages"], "key", rest[0])["figures"], "key", rest[1])
    elif name == "daily":
        found = keyed(found["daily"], "date", rest[0])[rest[1]]
    else:
        found = found[name]
    return found["value"]


def shown_figures(page):
    """{data-figure path: data-value} of every number on the page (tiles and the charts' tables)."""
    return page.eval_on_selector_all("[data-figure]", "els => els.map(e => [e.dataset.figure, e.dataset.value])")


def open_dashboard(web, query=""):
    page = web.page
    page.goto(f"/dashboard?period=2026-11{query}")
    page.wait_for_selector("#dash-ranking")
    return page


def check_against_api(page, document):
    shown = shown_figures(page)
    assert len(shown) > 60
    for path, value in shown:
        expected = at_path(document, path)
        if isinstance(expected, float) or expected is None:
            assert (float(value) if value != "" else None) == expected, path
        else:
            assert int(value) == expected, path
    for chart in CHARTS:                                          # drawn by ECharts
        assert page.locator(f"#{chart} canvas").count() >= 1, chart


@pytest.fixture
def played(live):
    script = november()
    script.play(live)
    live.set_clock(NOW)
    sweep_all(live)
    return script.numbers


@pytest.mark.parametrize("username, slug", [
    ("supervisor-committee", "city"), ("supervisor-350203", "district"), (f"officer-{YINGCUI}", "community")])
def test_the_dashboard_and_the_evaluation(live, browser, db_url, played, username, slug):
    shots = db_url.startswith("sqlite")
    api = Api(live.url, username)
    document = api.get("/api/v1/dashboard", period="2026-11").json()
    for device, options in (("phone", PHONE), ("desktop", DESKTOP)):
        web = Web(browser, live.url, device, **options)
        try:
            web.login(username)
            page = open_dashboard(web)
            check_against_api(page, document)
            assert page.locator("#dash-unit").inner_text() == document["unit"]["name"]
            options_shown = page.eval_on_selector_all("#dash-unit-picker option", "els => els.map(e => e.value)")
            assert options_shown == [c["code"] for c in document["choices"]]
            if slug == "district":
                assert all(code.startswith(SIMING) for code in options_shown)
                assert "湖里" not in page.inner_text("main") and HULI not in page.content()
            if shots:
                web.shot(f"dashboard-{slug}-{device}")
            # a tile opens the list of exactly its cases
            overdue = page.locator('[data-figure="current.overdue"]')
            value = int(overdue.get_attribute("data-value"))
            overdue.click()
            page.wait_for_selector("h1 .count")
            assert "/cases?" in page.url and int(page.locator("h1 .count").inner_text()) == value
            assert page.locator("#case-table tbody tr").count() == value
            if slug == "district":
                page.goto("/cases")
                for outside in ("D9", "D12"):                          # 湖里's cases
                    assert page.locator(f'tr[data-case="{played[outside]}"]').count() == 0
                assert page.goto(f"/cases/{played['D9']}").status == 404
                assert page.goto(f"/dashboard?unit={HULI}").status == 404

            page.goto("/evaluation?period=2026-11")
            page.wait_for_selector("#sheet-0")
            assert not web.errors, web.errors
            assert page.locator('[data-chart-for="sheet-0"] canvas').count() >= 1
            if slug == "district":
                assert "湖里" not in page.inner_text("main")
            evaluation_checks(page, api, slug)
            if shots:
                web.shot(f"evaluation-{slug}-{device}")
            assert not web.errors, web.errors
        finally:
            web.close()


def evaluation_checks(page, api, slug):
    """The table is the API's rows, sorts on a click, and downloads the API's file."""
    link = page.locator("#download-csv").get_attribute("href")
    params = dict(re.findall(r"([a-z_]+)=([^&]+)", link.split("?", 1)[1]))
    rows = api.get("/api/v1/evaluation", **{k: v for k, v in params.items() if k != "format"}).json()["rows"]
    units = page.eval_on_selector_all("#sheet-0 tbody tr", "els => els.map(e => e.dataset.unit)")
    assert sorted(units) == sorted(r["unit"] for r in rows) and units
    if slug == "district":
        assert all(code.startswith(SIMING) for code in units)
    header = page.locator('#sheet-0 th[data-key="composite"] button')
    header.click()
    assert page.locator('#sheet-0 th[data-key="composite"]').get_attribute("aria-sort") == "ascending"
    order = page.eval_on_selector_all('#sheet-0 tbody td[data-key="composite"]', "els => els.map(e => e.dataset.sort)")
    numbers = [float(v) for v in order if v]
    assert numbers == sorted(numbers) and order[len(numbers):] == [""] * (len(order) - len(numbers))
    header.click()
    assert page.locator('#sheet-0 th[data-key="composite"]').get_attribute("aria-sort") == "descending"
    with page.expect_download() as download:
        page.click("#download-csv")
    with open(download.value.path(), "rb") as file:
        assert file.read() == api.get("/api/v1/evaluation/export", **params).content


def test_the_city_drills_down_to_a_communitys_cases(live, browser, played):
    web = Web(browser, live.url, "desktop", **DESKTOP)
    try:
        web.login("supervisor-committee")
        page = open_dashboard(web)
        for name, code in (("思明区", SIMING), ("嘉莲街道", JIALIAN), ("盈翠社区", YINGCUI)):
            page.click(f'#ranking-table a.drill:text-is("{name}")')
            page.wait_for_selector("#dash-ranking")
            assert f"unit={code}" in page.url and page.locator("#dash-unit").inner_text() == name
        expected = Api(live.url, "supervisor-committee").get("/api/v1/cases", area=YINGCUI).json()["total"]
        page.click("#dash-unit-cases")
        page.wait_for_selector("h1 .count")
        assert int(page.locator("h1 .count").inner_text()) == expected == 6       # D10 D1 D11 D7 D3 D6
        page.go_back()
        page.wait_for_selector("nav.crumbs")
        page.click('nav.crumbs a:text-is("嘉莲街道")')                          # and back up
        page.wait_for_selector("#dash-ranking")
        assert f"unit={JIALIAN}" in page.url
        assert not web.errors, web.errors
    finally:
        web.close()


def test_the_wall_screen_refreshes_itself(live, browser, played):
    """Left open, the page fetches its figures again every 2 minutes (the browser's clock is
    Playwright's, moved on here): a report filed meanwhile shows, the charts are redrawn and the old
    ones freed."""
    web = Web(browser, live.url, "wall", viewport={"width": 1920, "height": 1080}, locale="zh-CN",
              timezone_id="Asia/Shanghai")
    try:
        web.page.clock.install()
        web.login("supervisor-350203")
        page = open_dashboard(web)
        before = int(page.locator('[data-figure="current.open"]').get_attribute("data-value"))
        page.evaluate("window.oldChart = document.getElementById('chart-daily')")
        assert page.evaluate("!!echarts.getInstanceByDom(window.oldChart)")
        live.set_clock("2026-11-26 15:30")
        live.report(grid="35020301100301", description="又一处污水")
        page.clock.run_for(121_000)
        page.wait_for_selector('#dashboard[data-loaded^="2026-11-26T15:30"]')
        assert int(page.locator('[data-figure="current.open"]').get_attribute("data-value")) == before + 1
        charts = page.evaluate("Array.from(document.querySelectorAll('.chart')).filter("
                               "b => echarts.getInstanceByDom(b)).length")
        assert charts == page.locator(".chart").count() == 5
        assert page.evaluate("!echarts.getInstanceByDom(window.oldChart)")       # the old ones freed
        web.shot("dashboard-district-wall")
        assert not web.errors, web.errors
    finally:
        web.close()
