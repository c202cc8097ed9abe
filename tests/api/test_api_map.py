"""The city map over HTTP (GET /api/v1/map): the points, counts and cameras each caller may see, as
the page draws them; filters; bad filters answered 422 with field messages; tokens of users only."""
from tests.api.httpapi import assert_error
from tests.handlers.citymap.scenario import PHONE, SIMING, TANGBIAN, scenario

POINT_KEYS = {"case_no", "category", "category_name", "status", "urgency", "light", "lng", "lat", "placed",
              "placed_at", "placed_at_name", "community", "grid", "district", "district_name", "holder_unit",
              "holder_name", "channel", "address", "reported_at", "due_at", "due_provisional"}


def test_the_map_of_the_city_and_of_a_district(api):
    numbers = scenario(api.city)
    names = {no: name for name, no in numbers.items()}
    assert api.cli("cameras", "add", "XM-SM-0012", "--name", "明发商业广场东门", "--grid", "35020301100301",
                   "--lat", "24.4853", "--lng", "118.1220").exit_code == 0
    assert api.cli("cameras", "add", "XM-HL-0001", "--name", "湖里大道口", "--grid", "35020600100201",
                   "--lat", "24.5101", "--lng", "118.1120").exit_code == 0

    city = api.as_user("supervisor-committee").get("/api/v1/map")
    assert city.status_code == 200, city.text
    body = city.json()
    assert set(body) == {"now", "filters", "summary", "points", "areas", "cameras"}
    assert body["now"] == "2026-03-02T10:30:00+08:00"
    assert body["filters"] == {"status": "open", "category": "", "urgency": "", "period": None}
    points = {names[p["case_no"]]: p for p in body["points"]}
    assert set(points) == {"placed", "grid_centre", "hotline", "tongan"}
    assert all(set(p) == POINT_KEYS for p in body["points"])
    placed = points["placed"]
    assert ((placed["lng"], placed["lat"]), placed["placed"], placed["light"], placed["urgency"]) == (
        PHONE["placed"], "reported", "green", "A")
    assert (placed["due_at"], placed["reported_at"]) == ("2026-03-03T09:05:00+08:00", "2026-03-02T09:00:00+08:00")
    assert (points["hotline"]["placed"], points["hotline"]["placed_at"], points["hotline"]["placed_at_name"],
            points["hotline"]["light"]) == ("unit", TANGBIAN, "塘边社区", None)
    districts = {d["name"]: d["count"] for d in body["areas"]["districts"]}
    assert districts == {"思明区": 2, "海沧区": 0, "湖里区": 1, "集美区": 0, "同安区": 1, "翔安区": 0}
    assert {s["name"]: s["count"] for s in body["areas"]["streets"]} == {"嘉莲街道": 2, "湖里街道": 1, "大同街道": 1}
    assert body["summary"] == {"total": 4, "shown": 4, "reported": 2, "unit": 2, "unplaced": 0, "overdue": 0,
                               "truncated": False, "lights": {"green": 3, "yellow": 0, "red": 0, "done": 0,
                                                              "done-late": 0, "none": 1}}
    assert [c["code"] for c in body["cameras"]] == ["XM-HL-0001", "XM-SM-0012"]
    assert body["cameras"][1]["grid_name"] == "盈翠社区第1网格" and body["cameras"][1]["detections"] == []

    district = api.as_user("supervisor-350203").get("/api/v1/map").json()
    assert {names[p["case_no"]] for p in district["points"]} == {"placed", "grid_centre"}
    assert {p["district"] for p in district["points"]} == {SIMING}
    assert {d["name"]: d["count"] for d in district["areas"]["districts"] if d["count"]} == {"思明区": 2}
    assert [c["code"] for c in district["cameras"]] == ["XM-SM-0012"]      # not 湖里's camera

    month = api.as_user("supervisor-committee").get("/api/v1/map", params={"period": "2026-03", "urgency": "C"})
    assert month.status_code == 200
    assert {names[p["case_no"]]: p["light"] for p in month.json()["points"]} == {"tongan": "green", "closed": "done"}
    assert month.json()["filters"]["period"] == {"label": "2026-03", "title": "2026年3月", "from": "2026-03-01",
                                                 "to": "2026-03-31"}


def test_bad_filters_and_callers(api):
    officer = api.as_user("officer-350203")
    for params, field in [({"status": "lost"}, "status"), ({"category": "abc"}, "category"),
                          ({"urgency": "Z"}, "urgency"), ({"period": "2026-13"}, "period"),
                          ({"from": "2026-03-01"}, "to"), ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
                          ({"zoom": "4"}, "zoom")]:
        body = assert_error(officer.get("/api/v1/map", params=params), 422)
        assert list(body["errors"]) == [field] and body["errors"][field][0], (params, body)
    assert_error(api.anonymous().get("/api/v1/map"), 401)
    assert_error(api.as_client("camera-ai", "video").get("/api/v1/map"), 403)
