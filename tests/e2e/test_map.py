"""一张图 in the browser, on a phone (390×844) and a desktop, as the city's supervising committee,
思明区's supervisor and 盈翠社区's officer: what the page drew (the chart's own series) and counted
(its tables and summary) is what GET /api/v1/map answers the same user; 思明区's supervisor sees no
case or camera of another district; a click on a point opens its card (number, category, holder,
deadline in +08:00, light, how it was placed, the link to the case). Cases come from the real
services (tests/handlers/citymap/scenario.py) and a camera's detection from the real video API.
Screenshots go to test-artifacts/."""
import math

import pytest
import requests

from tests.api.httpapi import png
from tests.e2e.conftest import DESKTOP, PHONE, Web
from tests.handlers.citymap.scenario import SIMING, scenario

pytestmark = pytest.mark.e2e

USERS = ("supervisor-committee", "supervisor-350203", "officer-350203011003")
CAMERAS = {"XM-SM-0012": ("明发商业广场东门", "35020301100301", "24.4853", "118.1220"),
           "XM-HL-0001": ("湖里大道口", "35020600100201", "24.5101", "118.1120")}

# Everything the chart drew, in viewport pixels: its points (with their case data), cameras, streets.
DRAWN = """() => {
  const el = document.getElementById('city-map');
  const chart = echarts.getInstanceByDom(el), box = el.getBoundingClientRect(), found = [];
  chart.getOption().series.forEach((series, index) => {
    if (series.type === 'map') return;
    (series.data || []).forEach(item => {
      const xy = chart.convertToPixel({seriesIndex: index}, item.value.slice(0, 2));
      found.push({series: series.name, kind: item.point ? 'point' : item.camera ? 'camera' : 'street',
                  x: box.left + xy[0], y: box.top + xy[1], point: item.point || null,
                  camera: item.camera ? item.camera.code : null, street: item.street ? item.street.code : null,
                  // inside the map, below its legend, and on the screen: where a tap can reach it
                  visible: xy[0] > 20 && xy[0] < box.width - 20 && xy[1] > 60 && xy[1] < box.height - 20
                           && box.top + xy[1] > 0 && box.top + xy[1] < window.innerHeight});
    });
  });
  return found;
}"""


SHADED = """() => echarts.getInstanceByDom(document.getElementById('city-map')).getOption().series[0].data
  .map(d => [d.name, d.value])"""


def api_map(city, username):
    token = requests.post(f"{city.url}/api/v1/auth/token", json={"username": username, "password": "demo"},
                          timeout=30).json()["token"]
    response = requests.get(f"{city.url}/api/v1/map", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def detect(city):
    """The video detector, over the real API, sees 占道经营 at 明发商业广场东门."""
    for code, (name, grid, lat, lng) in CAMERAS.items():
        result = city.app.test_cli_runner().invoke(args=["cameras", "add", code, "--name", name, "--grid", grid,
                                                         "--lat", lat, "--lng", lng])
        assert result.exit_code == 0, result.output
    result = city.app.test_cli_runner().invoke(args=["clients", "add", "camera-ai", "--channel", "video"])
    token = result.output.strip().splitlines()[-1]
    response = requests.post(f"{city.url}/api/v1/intake/video", headers={"Authorization": f"Bearer {token}"},
                             data={"camera": "XM-SM-0012", "violation": "road_occupying_business", "event_id": "ev-1"},
                             files={"snapshot": ("s.png", png(), "image/png")}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["case_no"]


def page_figures(page):
    """(summary numbers, {district code: (count, overdue)}) as the page shows them."""
    summary = {b.get_attribute("data-key"): int(b.inner_text()) for b in page.locator("#map-summary b").all()}
    districts = {}
    for row in page.locator("#district-counts tbody tr[data-code]").all():
        districts[row.get_attribute("data-code")] = (int(row.locator(".n-count").inner_text()),
                                                     int(row.locator(".n-overdue").inner_text()))
    return summary, districts


def clear_of_others(drawn, item, pixels=18):
    """Nothing else (point or camera) drawn within `pixels` of `item`: a tap there hits it."""
    return all(math.dist((item["x"], item["y"]), (o["x"], o["y"])) >= pixels
               for o in drawn if o["kind"] != "street" and o is not item)


def open_card(web, placed):
    """Tap a point placed `placed` ("reported" or "unit"), zooming in with the wheel over it (as a user
    would) until nothing else is drawn under the finger; returns its point, or None when none is drawn."""
    page = web.page
    page.locator("#city-map").scroll_into_view_if_needed()
    for view in ("island", "city"):
        page.click(f"#map-tools button[data-view={view}]")
        page.wait_for_timeout(300)
        candidates = [d for d in page.evaluate(DRAWN)
                      if d["kind"] == "point" and d["point"]["placed"] == placed and d["visible"]]
        if candidates:
            break
    else:
        return None
    case_no = candidates[0]["point"]["case_no"]
    for _ in range(6):
        drawn = page.evaluate(DRAWN)
        item = next(d for d in drawn if d["kind"] == "point" and d["point"]["case_no"] == case_no)
        if clear_of_others(drawn, item):
            page.mouse.click(item["x"], item["y"])
            page.wait_for_selector(f'#map-card:not([hidden])[data-case="{case_no}"]')
            return item["point"]
        page.mouse.move(item["x"], item["y"])
        page.mouse.wheel(0, -600)
        page.wait_for_timeout(300)
    raise AssertionError(f"{case_no} stays covered by other symbols however far the map is zoomed in")


def check_card(page, point, expected):
    card = page.locator("#map-card")
    assert card.locator("h2 a").inner_text() == point["case_no"]
    assert card.locator(f'a.button[href="/cases/{point["case_no"]}"]').count() == 1
    fields = dict(zip(card.locator("dt").all_inner_texts(), card.locator("dd").all_inner_texts()))
    assert fields["类别"] == f"{expected['category_name']}（{expected['category']}）"
    assert fields["承办单位"] == (expected["holder_name"] or "—")
    due = expected["due_at"]
    assert fields["处置时限"] == (f"{due[:10]} {due[11:16]}（+08:00）" if due else "—")
    assert fields["时限灯"] == {"green": "时限内（绿灯）", "yellow": "临近时限（黄灯）", "red": "已超期",
                             None: "尚未立案"}[expected["light"]]
    if expected["placed"] == "unit":
        assert fields["定位"] == f"上报时无坐标，按{expected['placed_at_name']}中心点定位（示意位置，非实际地点）"
    else:
        assert fields["定位"] == "按上报坐标定位"


def test_the_map_as_the_city_a_district_and_a_community_see_it(live, browser, db_url):
    city = live
    numbers = scenario(city)
    detected = detect(city)
    db = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    for device, options in (("phone", PHONE), ("desktop", DESKTOP)):
        web = Web(browser, city.url, device, **options)
        try:
            for username in USERS:
                web.login(username)
                page = web.page
                page.click("nav >> text=一张图")
                page.wait_for_selector("#city-map[data-ready=true]")
                expected = api_map(city, username)
                drawn = page.evaluate(DRAWN)
                points = [d["point"] for d in drawn if d["kind"] == "point"]
                assert sorted(p["case_no"] for p in points) == sorted(p["case_no"] for p in expected["points"])
                assert points, username
                assert sorted(d["camera"] for d in drawn if d["kind"] == "camera") == \
                    sorted(c["code"] for c in expected["cameras"])
                assert sorted(d["street"] for d in drawn if d["kind"] == "street") == \
                    sorted(s["code"] for s in expected["areas"]["streets"])
                summary, districts = page_figures(page)
                assert summary == {"total": expected["summary"]["total"], "shown": expected["summary"]["shown"],
                                   "reported": expected["summary"]["reported"], "unit": expected["summary"]["unit"],
                                   "overdue": expected["summary"]["overdue"], "cameras": len(expected["cameras"])}
                assert districts == {d["code"]: (d["count"], d["overdue"]) for d in expected["areas"]["districts"]}
                if username != "supervisor-committee":     # 思明区 and a community of it: nothing of another district
                    assert {p["district"] for p in points} == {SIMING}
                    assert [d["camera"] for d in drawn if d["kind"] == "camera"] == ["XM-SM-0012"]
                    assert {code for code, (count, _) in districts.items() if count} == {SIMING}
                else:
                    assert {p["district"] for p in points} == {"350203", "350206", "350212"}
                assert detected in {p["case_no"] for p in points}
                for shade in ("overdue", "none", "count"):       # the districts shaded by the chosen figure
                    page.check(f'#map-tools input[name=shade][value={shade}]')
                    shaded = dict(page.evaluate(SHADED))
                    assert shaded == {d["name"]: None if shade == "none" else d[shade]
                                      for d in expected["areas"]["districts"]}, shade
                if db == "sqlite":
                    web.shot(f"map-{username}-{device}")
                by_no = {p["case_no"]: p for p in expected["points"]}
                for placed in ("reported", "unit"):
                    point = open_card(web, placed)
                    assert point is not None, (username, placed)
                    check_card(page, point, by_no[point["case_no"]])
                    if db == "sqlite":
                        web.shot(f"map-card-{placed}-{username}-{device}")
            assert numbers["closed"] not in {p["case_no"] for p in points}      # closed: not on the open map
            assert web.errors == []
        finally:
            web.close()
