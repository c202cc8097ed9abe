"""The dashboard over HTTP on the scripted November of tests/handlers/supervision/test_dashboard.py:
every number equals the number of cases `GET /api/v1/cases` lists for the figure's own query, the
evaluation's numbers equal `GET /api/v1/evaluation`'s, a district supervisor reaches nothing outside
the district (404 as if unknown), bad input is 422 with the field, external clients 403."""
import pytest

from tests.api.httpapi import assert_error
from tests.handlers.evaluation.test_month import CENTER, HULI, JIALIAN, SIMING, sweep_all
from tests.handlers.supervision.test_dashboard import NOW, november


@pytest.fixture
def played(api):
    script = november()
    script.play(api.city)
    api.city.set_clock(NOW)
    sweep_all(api.city)
    return script.numbers


def figures(document):
    """Every count of a dashboard document (the figures with a case-list query)."""
    if isinstance(document, dict):
        if "query" in document and "link" in document and isinstance(document.get("value"), int):
            yield document
        for value in document.values():
            yield from figures(value)
    elif isinstance(document, list):
        for value in document:
            yield from figures(value)


def board(session, **params):
    answer = session.get("/api/v1/dashboard", params={"period": "2026-11", **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def listed(session, query):
    """The case numbers the API's case list gives for a figure's query (all pages)."""
    found, page = [], 1
    while True:
        answer = session.get("/api/v1/cases", params={**query, "per_page": 100, "page": page})
        assert answer.status_code == 200, (query, answer.text)
        body = answer.json()
        found += [c["case_no"] for c in body["items"]]
        if page >= body["pages"]:
            return found, body["total"]
        page += 1


@pytest.mark.parametrize("username", ["supervisor-350203", "supervisor-committee"])
def test_every_number_is_the_number_of_cases_its_list_shows(api, played, username):
    session = api.as_user(username)
    document = board(session)
    counted = list(figures(document))
    assert len(counted) > 100
    for figure in counted:
        numbers, total = listed(session, figure["query"])
        assert total == len(numbers) == figure["value"], figure
        assert figure["link"].startswith("/cases?")
    # the sums agree too: the channels make the reports, the statuses the open cases
    for block in (document["today"], document["month"]):
        assert sum(f["value"] for f in block["channels"]) == block["reported"]["value"]
    current = document["current"]
    assert sum(f["value"] for f in current["statuses"]) == current["open"]["value"]
    assert sum(f["value"] for age in current["ages"] for f in age["figures"]) == current["open"]["value"]
    assert [f for f in current["lights"] if f["key"] == "red"][0]["value"] == current["overdue"]["value"]
    assert sum(day["reported"]["value"] for day in document["month"]["daily"]) == document["month"]["reported"]["value"]
    assert sum(day["closed"]["value"] for day in document["month"]["daily"]) == document["month"]["closed"]["value"]


def test_the_evaluations_numbers_are_the_evaluations(api, played):
    session = api.as_user("supervisor-350203")
    document = board(session)
    districts = {r["unit"]: r for r in session.get("/api/v1/evaluation", params={"period": "2026-11"}).json()["rows"]}
    siming = districts[SIMING]
    month = document["month"]
    assert (month["reported"]["value"], month["filed"]["value"], month["closed"]["value"]) == (
        siming["area"]["reported"], siming["area"]["filed"], siming["area"]["closed"]) == (9, 7, 3)
    assert (month["on_time_rate"]["value"], month["on_time_rate"]["due"]) == (
        siming["handling"]["on_time_rate"], siming["handling"]["due"]) == (0.4, 5)
    assert document["standing"] == siming
    streets = session.get("/api/v1/evaluation", params={"period": "2026-11", "level": "street", "unit": SIMING})
    assert [{k: v for k, v in row.items() if not k.startswith("cases_")} for row in document["ranking"]["rows"]] == \
        streets.json()["rows"]
    today = session.get("/api/v1/evaluation", params={"from": "2026-11-26", "to": "2026-11-26"}).json()
    today_siming = {r["unit"]: r for r in today["rows"]}[SIMING]
    assert document["today"]["reported"]["value"] == today_siming["area"]["reported"] == 2
    assert document["current"]["overdue"]["value"] == today_siming["area"]["overdue_open"] == 3


def test_a_district_supervisor_reaches_only_the_district(api, played):
    session = api.as_user("supervisor-350203")
    document = board(session)
    assert document["unit"]["code"] == SIMING and {c["code"] for c in document["choices"]} >= {SIMING, JIALIAN}
    assert all(c["code"].startswith(SIMING) for c in document["choices"])
    assert HULI not in str(document) and "湖里" not in str(document)
    assert board(session, unit=JIALIAN)["unit"]["name"] == "嘉莲街道"
    for unit in (HULI, CENTER, "350206001001", "999"):
        assert_error(session.get("/api/v1/dashboard", params={"unit": unit}), 404)
    city = board(api.as_user("supervisor-committee"), unit=HULI)
    assert city["unit"]["name"] == "湖里区" and city["today"]["reported"]["value"] == 1          # D9


@pytest.mark.parametrize("params, field", [
    ({"period": "2026-13"}, "period"), ({"period": "2026"}, "period"), ({"period": "2026-Q4"}, "period"),
    ({"period": "Nov"}, "period"), ({"unit": "35-02"}, "unit"), ({"unit": "1\x00"}, "unit"), ({"level": "x"}, "level"),
])
def test_bad_input_is_422_with_the_field(api, params, field):
    answer = api.as_user("supervisor-committee").get("/api/v1/dashboard", params=params)
    assert field in assert_error(answer, 422)["errors"], answer.json()


def test_who_may_call_it(api):
    assert_error(api.anonymous().get("/api/v1/dashboard"), 401)
    assert_error(api.as_client("hotline-xm", "hotline12345").get("/api/v1/dashboard"), 403)
    for username in ("intake", "auditor", "officer-350203011003", "grid-35020301100301", "supervisor-office"):
        assert api.as_user(username).get("/api/v1/dashboard").status_code == 200, username
