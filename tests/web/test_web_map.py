"""一张图 (/map): the page (its filters, the map's container with where its data comes from, the
scripts served locally, no inline script), its data (/map/data.json: what the map shows the user,
the same JSON as the API's), and bad filters answered 422 with the message beside the field."""
import json
import re

from tests.handlers.citymap.scenario import SIMING, scenario
from tests.web.conftest import text


def test_the_page_and_its_data(city, browse):
    numbers = scenario(city)
    names = {no: name for name, no in numbers.items()}
    browser = browse("supervisor-350203")
    page = browser.get("/map?urgency=A")
    assert page.status_code == 200
    html = text(page)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []                 # no inline script
    assert '/vendor/echarts/echarts.min.js' in html and '/assets/map.js' in html and "//cdn" not in html
    assert '<a href="/map" class="on">一张图</a>' in html
    assert "思明区案件分布" in html
    source = re.search(r'id="city-map"[^>]*data-src="([^"]+)"', html)[1]
    assert source == "/map/data.json?urgency=A"
    geo = re.search(r'data-geo="([^"]+)"', html)[1]
    for url in (geo, "/vendor/echarts/echarts.min.js", "/assets/map.js"):
        with browser.get(url) as served:
            assert served.status_code == 200 and len(served.data) > 1000, url
    with browser.get(geo) as served:
        assert {f["properties"]["name"] for f in json.loads(served.data)["features"]} >= {"思明区", "翔安区"}
    assert json.loads(re.search(r'data-statuses="([^"]+)"', html)[1].replace("&#34;", '"'))["handling"] == "处置中"
    assert '<option value="A" selected>' in html

    found = browser.get(source)
    assert found.status_code == 200 and found.mimetype == "application/json"
    body = found.json
    assert {names[p["case_no"]] for p in body["points"]} == {"placed"}
    everything = browser.get("/map/data.json").json
    assert {names[p["case_no"]] for p in everything["points"]} == {"placed", "grid_centre"}
    assert {p["district"] for p in everything["points"]} == {SIMING}
    assert {d["name"]: d["count"] for d in everything["areas"]["districts"] if d["count"]} == {"思明区": 2}
    ranged = text(browser.get("/map?from=2026-03-01&to=2026-03-31&status=&category="))
    source = re.search(r'id="city-map"[^>]*data-src="([^"]+)"', ranged)[1].replace("&amp;", "&")
    assert source == "/map/data.json?from=2026-03-01&to=2026-03-31"
    month = browser.get(source).json
    assert {names[p["case_no"]] for p in month["points"]} == {"placed", "grid_centre", "voided", "closed"}
    assert month["filters"]["period"]["title"] == "2026-03-01 至 2026-03-31"
    city_wide = browse("supervisor-committee").get("/map/data.json").json
    assert city_wide["summary"]["total"] == 4 and "全市案件分布" in text(browse("supervisor-committee").get("/map"))
    assert set(city_wide) == set(body) == {"now", "filters", "summary", "points", "areas", "cameras"}


def test_bad_filters(city, browse):
    browser = browse("officer-350203011003")
    page = browser.get("/map?period=2026-13&urgency=A")
    assert page.status_code == 422
    html = text(page)
    assert 'id="f-period-error"' in html and "如 2026-11" in html and 'data-src=' not in html
    assert "map.js" not in html
    assert browser.get("/map?from=2026-03-05").status_code == 422
    assert 'id="f-to-error"' in text(browser.get("/map?from=2026-03-05"))
    assert browser.get("/map?zoom=3").status_code == 422
    data = browser.get("/map/data.json?status=lost")
    assert data.status_code == 422 and list(data.json["errors"]) == ["status"]
    assert browser.get("/map?period=&status=&from=").status_code == 200     # an empty form is no filter


def test_only_for_logged_in_users(city, browse):
    anonymous = browse()
    for url in ("/map", "/map/data.json"):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.location, url
