"""Reading cases: only within the caller's unit subtree (others are 404, as if unknown), the case
list's filters and pages, and the JSON shapes the OpenAPI document promises."""
from tests.api.httpapi import assert_error
from tests.helpers import CASE_KEYS, SEWAGE, TASK_KEYS
from tests.web.test_web_cases import NEW_FILTERS, a_varied_monday

SIMING_GRID, HULI_GRID = "grid-35020301100301", "grid-35020600100101"


def report(api, username, **fields):
    response = api.as_user(username).post("/api/v1/cases", json={**SEWAGE, **fields})
    assert response.status_code == 201, response.text
    return response.json()["case_no"]


def numbers(response):
    assert response.status_code == 200, response.text
    return [c["case_no"] for c in response.json()["items"]]


def test_visibility_follows_the_unit_subtree(api):
    api.city.set_clock("2026-03-02 09:00")
    siming = report(api, SIMING_GRID)
    huli = report(api, HULI_GRID, grid="35020600100101", address="湖里区湖里街道", category="200509")
    huli_officer, siming_officer = api.as_user("officer-350206"), api.as_user("officer-350203")
    for path in (f"/api/v1/cases/{siming}", f"/api/v1/cases/{siming}/events", f"/api/v1/cases/{siming}/photos",
                 f"/api/v1/cases/{siming}/photos/1", "/api/v1/cases/29990101999999", "/api/v1/cases/not-a-number"):
        body = assert_error(huli_officer.get(path), 404)
        assert body["error"]
    assert assert_error(huli_officer.get(f"/api/v1/cases/{siming}"), 404) == \
        assert_error(huli_officer.get("/api/v1/cases/29990101999999"), 404) | {"error": f"案件 {siming} 不存在"}
    assert huli_officer.get(f"/api/v1/cases/{huli}").status_code == 200
    assert siming_officer.get(f"/api/v1/cases/{siming}").status_code == 200
    assert_error(api.as_user("grid-35020301100101").get(f"/api/v1/cases/{siming}"), 404)   # another community's grid
    assert numbers(huli_officer.get("/api/v1/cases")) == [huli]
    assert numbers(siming_officer.get("/api/v1/cases")) == [siming]
    assert numbers(api.as_user("intake").get("/api/v1/cases")) == [huli, siming]

    # Dispatched to 湖里区 by mistake, the case becomes visible there too (it reached the unit).
    intake, dispatcher = api.as_user("intake"), api.as_user("dispatcher")
    task = intake.get("/api/v1/tasks", params={"case": siming}).json()[0]
    assert intake.post(f"/api/v1/tasks/{task['id']}/complete", json={"decision": "file", "urgency": "B"}).ok
    task = dispatcher.get("/api/v1/tasks", params={"case": siming}).json()[0]
    assert dispatcher.post(f"/api/v1/tasks/{task['id']}/complete", json={"action": "assign", "unit": "350206"}).ok
    assert huli_officer.get(f"/api/v1/cases/{siming}").status_code == 200
    assert numbers(huli_officer.get("/api/v1/cases")) == [huli, siming]
    tasks = huli_officer.get("/api/v1/tasks").json()
    assert [(t["case_no"], t["step"]) for t in tasks] == [(siming, "dispatch")]
    assert set(tasks[0]) == TASK_KEYS


def test_case_list_filters_and_pages(api):
    api.city.set_clock("2026-03-02 09:00")
    first = report(api, SIMING_GRID)
    api.city.set_clock("2026-03-03 09:00")
    second = report(api, SIMING_GRID, category="200509")
    third = report(api, SIMING_GRID, category="200509")
    intake = api.as_user("intake")
    task = intake.get("/api/v1/tasks", params={"case": first}).json()[0]
    intake.post(f"/api/v1/tasks/{task['id']}/complete", json={"decision": "file", "urgency": "A"})  # due 03-04 09:00

    listed = intake.get("/api/v1/cases", params={"per_page": 2})
    page = listed.json()
    assert (page["total"], page["pages"], page["page"], numbers(listed)) == (3, 2, 1, [third, second])
    assert set(page["items"][0]) == CASE_KEYS
    assert numbers(intake.get("/api/v1/cases", params={"per_page": 2, "page": 2})) == [first]
    assert numbers(intake.get("/api/v1/cases", params={"per_page": 2, "page": 9})) == []
    after = intake.get("/api/v1/cases", params={"per_page": 2, "after": page["next"]}).json()   # the cursor's page
    assert ([c["case_no"] for c in after["items"]], after["page"], after["next"]) == ([first], 2, None)
    walked, query = [], {"status": "open", "per_page": 1}
    while True:                                     # one by one, by the cursors: every case once, in order
        listed = intake.get("/api/v1/cases", params=query).json()
        walked.append((listed["page"], *[c["case_no"] for c in listed["items"]]))
        if listed["next"] is None:
            break
        query["after"] = listed["next"]
    assert walked == [(1, third), (2, second), (3, first)]
    assert numbers(intake.get("/api/v1/cases", params={"status": "dispatching"})) == [first]
    assert numbers(intake.get("/api/v1/cases", params={"status": "open"})) == [third, second, first]
    assert numbers(intake.get("/api/v1/cases", params={"category": "200509"})) == [third, second]
    assert numbers(intake.get("/api/v1/cases", params={"category": "2001"})) == [first]
    assert numbers(intake.get("/api/v1/cases", params={"q": first[-6:]})) == [first]
    assert numbers(intake.get("/api/v1/cases", params={"from": "2026-03-03"})) == [third, second]
    assert numbers(intake.get("/api/v1/cases", params={"to": "2026-03-02"})) == [first]
    assert numbers(intake.get("/api/v1/cases", params={"unit": "350203011"})) == [third, second, first]
    assert numbers(intake.get("/api/v1/cases", params={"overdue": "true"})) == []
    api.city.set_clock("2026-03-04 10:00")
    assert numbers(intake.get("/api/v1/cases", params={"overdue": "true"})) == [first]
    assert numbers(intake.get("/api/v1/cases", params={"unit": "350206"})) == []

    for params, field in (({"status": "lost"}, "status"), ({"from": "2026-13-01"}, "from"),
                          ({"to": "1999-12-31"}, "to"), ({"per_page": "0"}, "per_page"), ({"page": "x"}, "page"),
                          ({"unit": "999"}, "unit"), ({"q": "abc"}, "q"), ({"category": "3"}, "category"),
                          ({"colour": "red"}, "colour"), ({"q": "1\x00"}, "q"), ({"after": "not-ours"}, "after"),
                          ({"after": "MXwyMDI2LTAzLTAyVDAxOjAwOjAwfDE"}, "after")):   # 1|2026-03-02T01:00:00|1: naive
        assert field in assert_error(intake.get("/api/v1/cases", params=params), 422)["errors"], params
    assert_error(api.anonymous().get("/api/v1/cases"), 401)


def test_the_new_filters_list_what_the_web_list_lists(api):
    """The same query strings as the web list (tests/web/test_web_cases.py), the same cases."""
    cases = a_varied_monday(api.city)
    api.city.set_clock("2026-03-02 17:30")
    intake = api.as_user("intake")
    for query, expected in NEW_FILTERS:
        listed = intake.get("/api/v1/cases", params=query)
        assert numbers(listed) == [cases[k] for k in expected] and listed.json()["total"] == len(expected), query
    assert numbers(intake.get("/api/v1/cases", params={"overdue": "1"})) == []
    for params, field in (({"light": "blue"}, "light"), ({"urgency": "D"}, "urgency"), ({"due": "soon"}, "due"),
                          ({"dated": "handled"}, "dated"), ({"channel": "fax"}, "channel"), ({"area": "x"}, "area"),
                          ({"area": "999"}, "area")):
        assert field in assert_error(intake.get("/api/v1/cases", params=params), 422)["errors"], params
