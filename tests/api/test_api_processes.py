"""Several case processes over HTTP (SQLite and PostgreSQL): an emergency case (routed to
`municipal_emergency`) through the API, its case detail, its case page, its audit replay and its
place in the evaluation; a new process copied from the default one; a routing table naming a
process that is not deployed refused on its rule."""
import io
import json

from handlers.cases import service as cases
from tests import deployment_files as files
from tests.api.httpapi import assert_error
from tests.web.conftest import browse, text  # noqa: F401 - browse is the web pages' fixture

GRID = "35020301100301"
MUNICIPAL = "350200901"


def complete(api, username, case_no, step, **form):
    caller = api.as_user(username)
    [task] = [t for t in caller.get("/api/v1/tasks", params={"case": case_no}).json() if t["step"] == step]
    done = caller.post(f"/api/v1/tasks/{task['id']}/complete", json=form)
    assert done.status_code == 200, done.text
    return done.json()


def test_an_emergency_case_through_the_api_the_pages_the_audit_and_the_evaluation(api, browse):
    city = api.city
    city.set_clock("2026-03-02 09:00")
    reported = api.as_user(f"grid-{GRID}").post("/api/v1/cases", json={
        "category": "200401", "grid": GRID, "description": "嘉莲路路面塌陷", "address": "思明区嘉莲街道嘉莲路"})
    assert reported.status_code == 201, reported.text
    case_no = reported.json()["case_no"]
    city.set_clock("2026-03-02 09:05")
    filed = complete(api, "intake", case_no, "accept_report", decision="file", urgency="B")
    assert filed["urgency"] == "A" and filed["due_at"] == "2026-03-02T11:05:00+08:00"
    complete(api, "dispatcher", case_no, "dispatch", action="assign", unit=MUNICIPAL)
    complete(api, f"officer-{MUNICIPAL}", case_no, "handle", action="done", result="已回填修复")
    complete(api, f"grid-{GRID}", case_no, "check_result", passed=True)
    closed = complete(api, "shiftlead", case_no, "close_case", comment="险情消除")
    assert closed["status"] == "closed"
    detail = api.as_user("auditor").get(f"/api/v1/cases/{case_no}")
    assert detail.status_code == 200 and detail.json()["status"] == "closed" and detail.json()["overdue"] is False
    pages = browse("auditor")
    page = pages.get(f"/cases/{case_no}")
    assert page.status_code == 200 and case_no in text(page)
    diagram = json.loads(pages.get(f"/cases/{case_no}/diagram.json").data)
    assert diagram["filename"] == "municipal_emergency.bpmn" and 'id="municipal_emergency"' in diagram["xml"]
    replayed = pages.get(f"/audit/cases/{case_no}?replay=1")
    assert replayed.status_code == 200 and "回放一致 (verified)" in text(replayed)
    assert api.cli("audit", "verify", case_no).exit_code == 0
    found = {row["unit"]: row for row in api.as_user("auditor").get("/api/v1/evaluation", params={
        "period": "2026-03", "level": "department"}).json()["rows"]}
    assert (found[MUNICIPAL]["handling"]["handled"], found[MUNICIPAL]["handling"]["on_time"]) == (1, 1)


def test_a_new_process_from_the_default_and_a_routing_table_naming_none(api, browse):
    owner = api.as_user("owner")
    created = owner.post("/api/v1/processes", json={"process_id": "illegal_building", "name": "违法建设执法立案"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["process_id"] == "illegal_building" and body["current"] is True
    assert "illegal_building.bpmn" in body["files"] and "case_routing.dmn" not in body["files"]
    listed = owner.get("/api/v1/deployments", params={"process": "illegal_building"}).json()
    assert [d["version"] for d in listed] == [body["version"]]
    assert browse("owner").get("/process/modeller?process=illegal_building").status_code == 200
    assert_error(owner.post("/api/v1/processes", json={"process_id": "illegal_building", "name": "again"}), 422)
    assert_error(owner.post("/api/v1/processes", json={"process_id": "Bad Id", "name": "x"}), 422)
    assert_error(api.as_user("auditor").post("/api/v1/processes", json={"process_id": "abc_def", "name": "x"}), 403)
    # a routing table naming a process that was never deployed: refused on the table, naming the rule
    table = files.shipped()["case_routing.dmn"].replace(b'"municipal_emergency"', b'"noise_complaint"', 1)
    refused = owner.post("/api/v1/deployments", files=[("files", ("case_routing.dmn", io.BytesIO(table)))])
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["errors"]
    assert problem["element"] == "case_routing" and "case_routing_rule_1" in problem["detail"]
    assert "noise_complaint" in problem["detail"] and problem["file"] == "case_routing.dmn"
    # routing to the new process is accepted, and a matching report starts it
    table = files.shipped()["case_routing.dmn"].replace(b'"municipal_emergency"', b'"illegal_building"', 1)
    deployed = owner.post("/api/v1/deployments", files=[("files", ("case_routing.dmn", io.BytesIO(table)))])
    assert deployed.status_code == 201, deployed.text
    api.city.set_clock("2026-03-02 09:00")
    case = api.as_user(f"grid-{GRID}").post("/api/v1/cases", json={
        "category": "100111", "grid": GRID, "description": "燃气井盖缺失", "address": "嘉莲路"}).json()
    assert api.city.work(lambda s: cases.get_by_no(s, case["case_no"]).process_id) == "illegal_building"
