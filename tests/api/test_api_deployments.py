"""Deployments through the API over real HTTP (SQLite and PostgreSQL): an owner deploys a changed
table (and new cases use it), problems come back as 422 with element, line and message, hostile
XML, oversized files and sandbox escapes are refused, other roles get 403, versions are listed."""
import io
from pathlib import Path

import pytest

from handlers.process import deploy, versions
from tests import deployment_files as files
from tests.api.httpapi import assert_error


def parts(found):
    """`files=` for requests: the field `files` repeated, one part per file."""
    return [("files", (name, io.BytesIO(data), "application/xml")) for name, data in sorted(found.items())]


def version_count(api):
    return api.city.work(lambda s: len(versions.list_versions(s, "case_handling")))


def test_an_owner_deploys_and_new_cases_start_on_the_new_version(api):
    city = api.city
    city.set_clock("2026-03-02 09:00")
    owner = api.as_user("owner")
    table = {"time_limit.dmn": files.b_limit(3)["time_limit.dmn"]}
    created = owner.post("/api/v1/deployments", data={"note": "B 类时限改为 3 个工作日"}, files=parts(table))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["version"] == 3 and body["created"] is True and body["latest"] is True and len(body["hash"]) == 64
    assert body["created_by"] == "owner" and body["note"] == "B 类时限改为 3 个工作日"
    assert body["created_at"] == "2026-03-02T09:00:00+08:00" and body["running_cases"] == 0
    assert body["files"] == ["case_handling.bpmn", "case_routing.dmn", "default_unit.dmn", "evaluation_grades.dmn",
                             "evaluation_weights.dmn", "penalty_points.dmn", "time_limit.dmn"]
    again = owner.post("/api/v1/deployments", data={"note": "again"}, files=parts(table))
    assert again.status_code == 200 and again.json()["version"] == 3 and again.json()["created"] is False

    case_no = city.report()
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="B")
    assert city.show(case_no)["due_at"] == "2026-03-05T09:00:00+08:00"
    listed = api.as_user("auditor").get("/api/v1/deployments", params={"process": "case_handling"})
    assert listed.status_code == 200
    assert [(v["version"], v["running_cases"], v["latest"]) for v in listed.json()] == [(3, 1, True), (1, 0, False)]
    only = owner.post("/api/v1/deployments", data={"only_given": "true"}, files=parts(table))
    assert only.status_code == 422 and only.json()["errors"][0]["message"]      # no process without its BPMN


def test_problems_name_the_element_line_and_message(api):
    owner = api.as_user("owner")
    refused = owner.post("/api/v1/deployments", data={"note": "x"},
                         files=parts({"case_handling.bpmn": files.unquoted_timer()["case_handling.bpmn"]}))
    assert refused.status_code == 422
    body = refused.json()
    assert set(body) == {"error", "errors"} and body["error"] == "校验未通过，未部署"
    [problem] = body["errors"]
    assert problem["element"] == "warning_timer" and problem["file"] == "case_handling.bpmn"
    assert problem["line"] > 1 and '"P2D"' in problem["message"] and "variable name" in problem["detail"]
    form = owner.post("/api/v1/deployments", files=parts({"case_handling.bpmn": files.unknown_form()["case_handling.bpmn"]}))
    assert [p["element"] for p in form.json()["errors"]] == ["verify_report"]
    assert version_count(api) == 1


@pytest.mark.parametrize("kind", ["import", "subclasses"])
def test_script_escapes_are_refused_at_validation(api, kind):
    owner = api.as_user("owner")
    hostile = files.script(files.ESCAPES[kind])["case_handling.bpmn"]
    refused = owner.post("/api/v1/deployments", files=parts({"case_handling.bpmn": hostile}))
    assert refused.status_code == 422
    assert [p["element"] for p in refused.json()["errors"]] == ["record_on_spot"]
    assert version_count(api) == 1


def test_xxe_billion_laughs_and_oversized_files_are_refused(api):
    owner = api.as_user("owner")
    for hostile in (files.XXE, files.LAUGHS):
        refused = owner.post("/api/v1/deployments", files=parts({"case_handling.bpmn": hostile}))
        assert refused.status_code == 422
        [problem] = refused.json()["errors"]
        assert problem["file"] == "case_handling.bpmn" and "root:" not in refused.text
        assert "DOCTYPE" in problem["message"] or "amplification" in problem["message"]
    big = owner.post("/api/v1/deployments",
                     files=parts({"case_handling.bpmn": files.oversized(deploy.MAX_FILE_BYTES)}))
    assert "KiB" in assert_error(big, 413)["error"]
    named = owner.post("/api/v1/deployments", files=parts({"run.sh": b"<x/>"}))
    assert named.status_code == 422 and named.json()["errors"][0]["file"] == "run.sh"
    assert version_count(api) == 1


def test_only_owners_and_admins_deploy(api):
    table = {"time_limit.dmn": files.b_limit(3)["time_limit.dmn"]}
    for username in ("intake", "auditor", "grid-35020301100301", "dispatcher"):
        refused = api.as_user(username).post("/api/v1/deployments", files=parts(table))
        assert_error(refused, 403)
    assert_error(api.as_client("hotline", "hotline12345").post("/api/v1/deployments", files=parts(table)), 403)
    assert_error(api.anonymous().post("/api/v1/deployments", files=parts(table)), 401)
    assert_error(api.as_user("intake").get("/api/v1/deployments"), 403)
    assert version_count(api) == 1
    assert api.as_user("admin").post("/api/v1/deployments", files=parts(table)).status_code == 201
    document = api.anonymous().get("/api/openapi.json").json()
    assert set(document["paths"]["/api/v1/deployments"]) == {"get", "post"}
    assert "multipart/form-data" in document["paths"]["/api/v1/deployments"]["post"]["requestBody"]["content"]


def test_an_owner_rolls_back_and_new_cases_start_on_the_version_made_current(api):
    from engine import events
    city = api.city
    city.set_clock("2026-03-02 09:00")
    owner = api.as_user("owner")
    table = {"time_limit.dmn": files.b_limit(3)["time_limit.dmn"]}
    assert owner.post("/api/v1/deployments", files=parts(table)).json()["version"] == 3
    # the exact files of version 1 again: no new version, and the answer says how to go back
    again = owner.post("/api/v1/deployments", data={"only_given": "true"}, files=parts(files.shipped()))
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["version"] == 1 and body["created"] is False and body["current"] is False
    assert "设为当前版本" in body["message"] and "当前版本 3" in body["message"]

    assert_error(api.as_user("auditor").post("/api/v1/deployments/1/current"), 403)
    assert_error(owner.post("/api/v1/deployments/99/current"), 404)
    assert_error(owner.post("/api/v1/deployments/99999999999999999999/current"), 404)
    assert_error(owner.post("/api/v1/deployments/1/current", json={"note": 3}), 422)
    back = owner.post("/api/v1/deployments/1/current", json={"note": "B 类时限改回 2 天"})
    assert back.status_code == 200, back.text
    assert back.json()["version"] == 1 and back.json()["previous"] == 3 and back.json()["changed"] is True
    assert back.json()["current"] is True
    listed = owner.get("/api/v1/deployments", params={"process": "case_handling"}).json()
    assert [(v["version"], v["current"]) for v in listed] == [(3, False), (1, True)]
    case_no = city.report()
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="B")
    assert city.show(case_no)["due_at"] == "2026-03-04T09:00:00+08:00"      # 2 working days: version 1
    recorded = [e for e in city.work(lambda s: events.get_stream(s, events.SYSTEM)) if e.kind == "made_current"]
    assert [(e.actor, e.deployment_id, e.data["from"], e.data["version"], e.data["note"]) for e in recorded] == [
        ("owner", 1, 3, 1, "B 类时限改回 2 天")]
    same = owner.post("/api/v1/deployments/1/current")
    assert same.status_code == 200 and same.json()["changed"] is False
    assert len([e for e in city.work(lambda s: events.get_stream(s, events.SYSTEM)) if e.kind == "made_current"]) == 1
    document = api.anonymous().get("/api/openapi.json").json()
    assert "post" in document["paths"]["/api/v1/deployments/{version}/current"]


def test_files_the_process_does_not_use_are_not_carried_into_the_next_version(api):
    owner = api.as_user("owner")
    extra = (Path(files.__file__).parent / "data" / "deployments" / "spiffworkflow" / "timer.bpmn").read_bytes()
    first = owner.post("/api/v1/deployments", files=parts({"timer.bpmn": extra}))
    assert first.status_code == 201 and "timer.bpmn" in first.json()["files"]
    table = {"time_limit.dmn": files.b_limit(3)["time_limit.dmn"]}
    second = owner.post("/api/v1/deployments", files=parts(table))
    assert second.status_code == 201, second.text
    assert "timer.bpmn" not in second.json()["files"] and second.json()["not_carried"] == ["timer.bpmn"]
    assert "penalty_points.dmn" in second.json()["files"] and "evaluation_grades.dmn" in second.json()["files"]
    # a bad upload is refused naming the uploaded file, never a stored one
    refused = owner.post("/api/v1/deployments", files=parts({"zz_shadow.dmn": files.shipped()["penalty_points.dmn"]}))
    assert refused.status_code == 422
    assert {p["file"] for p in refused.json()["errors"]} == {"zz_shadow.dmn"}


BIG = "99999999999999999999"


def test_ids_past_the_databases_range_are_404_never_500(api):
    owner = api.as_user("owner")
    case_no = api.city.report()
    for path in (f"/api/v1/cases/{case_no}/photos/{BIG}", f"/api/v1/deployments/{BIG}/current"):
        answer = owner.get(path) if "photos" in path else owner.post(path)
        assert answer.status_code == 404, (path, answer.status_code)
    from tests.web.conftest import Browser
    browser = Browser(api.city.app).login("owner")
    for path in (f"/process/versions/{BIG}/files/x.bpmn", f"/process/versions/{BIG}.json",
                 f"/process/modeller?version={BIG}", f"/process/versions/diff?from={BIG}&to=1",
                 f"/process/versions/diff?from=1&to=-{BIG}", f"/cases/{case_no}/photos/{BIG}",
                 f"/process/modeller?version=abc"):
        assert browser.get(path).status_code == 404, path
    assert browser.get(f"/process/migrate?from={BIG}").status_code == 200      # the form, from its default
    assert browser.post(f"/process/versions/{BIG}/current").status_code == 404
