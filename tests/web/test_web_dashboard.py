"""态势 in the web UI on the scripted November of tests/handlers/supervision/test_dashboard.py: every
number of the page's data opens a case list showing exactly that many cases; the page, its pickers
and its errors; the navigation of every role; the supervisors' landing page and their lack of an
inbox; no inline script (CSP)."""
import re

import pytest

from tests.handlers.evaluation.test_month import CENTER, HULI, JIALIAN, SIMING
from tests.handlers.supervision.test_dashboard import played  # noqa: F401 (the scripted November, as a fixture)
from tests.web.conftest import text

COUNT = re.compile(r'<span class="count">(\d+)</span>')


def figures(document):
    if isinstance(document, dict):
        if "link" in document and isinstance(document.get("value"), int) and "query" in document:
            yield document
        for value in document.values():
            yield from figures(value)
    elif isinstance(document, list):
        for value in document:
            yield from figures(value)


@pytest.mark.parametrize("username", ["supervisor-350203", "supervisor-committee", "officer-350203011003"])
def test_every_number_opens_the_list_of_exactly_its_cases(city, browse, played, username):
    browser = browse(username)
    answer = browser.get("/dashboard/data?period=2026-11")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    document = answer.json
    checked = 0
    for figure in figures(document):
        page = text(browser.get(figure["link"]))
        assert int(COUNT.search(page)[1]) == figure["value"], figure
        if figure["value"] <= 20:
            assert len(re.findall(r'<tr data-case="', page)) == figure["value"], figure
        checked += 1
    assert checked > 100
    for row in document["ranking"]["rows"]:                    # each unit below: the list of its cases
        assert browser.get(row["cases_link"]).status_code == 200


def test_the_page_its_pickers_and_its_errors(city, browse, played):
    siming = browse("supervisor-350203")
    page = text(siming.get("/dashboard"))
    assert 'data-source="/dashboard/data?period=2026-11&amp;unit=350203"' in page
    assert "/vendor/echarts/echarts.min.js" in page and "dashboard.js" in page
    units = re.findall(r'<option value="(\d+)"', page)
    assert units[0] == SIMING and JIALIAN in units and all(u.startswith(SIMING) for u in units)
    assert "湖里" not in page
    assert all(re.search(r"\bsrc=", tag) for tag in re.findall(r"<script[^>]*>", page))     # no inline script
    street = text(siming.get(f"/dashboard?unit={JIALIAN}&period=2026-10"))
    assert 'value="2026-10"' in street and f'<option value="{JIALIAN}" selected>' in street
    assert '<a href="/dashboard?period=2026-10&amp;unit=350203">思明区</a>' in street        # the way back up
    for url in (f"/dashboard?unit={HULI}", f"/dashboard?unit={CENTER}", "/dashboard?unit=999"):
        assert siming.get(url).status_code == 404, url
        assert siming.get(url.replace("/dashboard", "/dashboard/data")).status_code == 404, url
    bad = siming.get("/dashboard?period=2026-13")
    assert bad.status_code == 422 and "dash-error" in text(bad)
    refused = siming.get("/dashboard/data?period=2026")
    assert refused.status_code == 422 and "period" in refused.json["errors"]
    assert siming.get("/dashboard/data").json["unit"]["code"] == SIMING
    city_wide = browse("supervisor-committee").get(f"/dashboard/data?unit={HULI}&period=2026-11").json
    assert city_wide["unit"]["name"] == "湖里区" and city_wide["month"]["reported"]["value"] == 2     # D12, D9


NAV = re.compile(r'<nav class="nav"[^>]*>(.*?)</nav>', re.S)


def nav_of(browser):
    return NAV.search(text(browser.get("/cases")))[1]


@pytest.mark.parametrize("username, inbox", [
    ("supervisor-committee", False), ("supervisor-office", False), ("supervisor-350203", False),
    ("shiftlead", True), ("intake", True), ("auditor", False), ("owner", False), ("admin", False),
    ("officer-350203", True), ("officer-350200901", True), ("grid-35020301100301", True),
])
def test_every_role_has_the_dashboard_and_the_evaluation_in_its_navigation(city, browse, username, inbox):
    browser = browse(username)
    nav = nav_of(browser)
    assert 'href="/dashboard"' in nav and 'href="/evaluation"' in nav and 'href="/cases"' in nav
    assert ('href="/tasks"' in nav) is inbox
    assert browser.get("/dashboard").status_code == 200
    assert browser.get("/dashboard/data").status_code == 200
    assert browser.get("/evaluation").status_code == 200


def test_a_supervisor_lands_on_the_dashboard_and_has_no_inbox(city, browse, played):
    supervisor = browse("supervisor-committee")
    assert supervisor.get("/").location == "/dashboard"
    tasks = supervisor.get("/tasks")
    assert tasks.status_code == 303 and tasks.location == "/"
    assert "督查员没有待办任务" in text(supervisor.get("/dashboard"))
    assert supervisor.get("/cases").status_code == 200
    assert f'data-case="{played["D9"]}"' in text(supervisor.get("/cases?area=350206"))      # the whole city
    task = city.task(played["D3"], "dispatch")
    assert supervisor.get(f"/tasks/{task['id']}").status_code == 403                        # sees it, cannot do it
    assert browse("auditor").get("/").location == "/cases"                                 # unchanged for the others
    assert browse("shiftlead").get("/").location == "/tasks"
