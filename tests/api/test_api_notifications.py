"""The caller's notifications through the API, over HTTP: the page (newest first, `unread=true`),
marking one and all read, field messages for bad queries, someone else's as 404, and no
notifications for external clients; the operations and shapes in the OpenAPI document."""
from tests.api.httpapi import assert_error
from tests.helpers import SEWAGE

NOTIFICATION_KEYS = {"id", "kind", "kind_label", "case_no", "task_id", "text", "link", "created_at", "read_at"}


def report(api, **fields):
    response = api.as_user("grid-35020301100301").post("/api/v1/cases", json={**SEWAGE, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_the_callers_notifications_and_marking_them_read(api):
    api.city.set_clock("2026-03-02 09:00")
    cases = [report(api, description=f"第{n}处污水") for n in range(3)]
    intake = api.as_user("intake")
    page = intake.get("/api/v1/notifications", params={"per_page": 2})
    assert page.status_code == 200, page.text
    body = page.json()
    assert (body["total"], body["unread"], body["page"], body["per_page"], body["pages"]) == (3, 3, 1, 2, 2)
    newest = body["items"][0]
    assert set(newest) == NOTIFICATION_KEYS
    task_id = cases[-1]["open_tasks"][0]["id"]
    assert (newest["kind"], newest["kind_label"], newest["case_no"], newest["task_id"]) == (
        "new_task", "新待办", cases[-1]["case_no"], task_id)
    assert newest["link"] == f"/tasks/{task_id}" and newest["read_at"] is None
    assert newest["text"] == f"新待办「受理审核」：案件 {cases[-1]['case_no']}，第2处污水"
    assert newest["created_at"] == "2026-03-02T09:00:00+08:00"
    assert [i["case_no"] for i in intake.get("/api/v1/notifications?page=2&per_page=2").json()["items"]] == [
        cases[0]["case_no"]]

    api.city.set_clock("2026-03-02 09:30")
    read = intake.post(f"/api/v1/notifications/{newest['id']}/read")
    assert read.status_code == 200 and read.json()["read_at"] == "2026-03-02T09:30:00+08:00"
    api.city.set_clock("2026-03-02 09:40")
    assert intake.post(f"/api/v1/notifications/{newest['id']}/read").json()["read_at"] == "2026-03-02T09:30:00+08:00"
    unread = intake.get("/api/v1/notifications?unread=true").json()
    assert unread["total"] == 2 and unread["unread"] == 2 and newest["id"] not in [i["id"] for i in unread["items"]]

    # Once the task is done, the notification leads to the case.
    done = intake.post(f"/api/v1/tasks/{task_id}/complete", json={"decision": "void", "reason": "重复"})
    assert done.status_code == 200
    assert intake.get("/api/v1/notifications").json()["items"][0]["link"] == f"/cases/{cases[-1]['case_no']}"

    # Someone else's, unknown or out of range: 404, and nothing marked.
    dispatcher = api.as_user("dispatcher")
    first = unread["items"][0]["id"]
    assert_error(dispatcher.post(f"/api/v1/notifications/{first}/read"), 404)
    assert_error(intake.post("/api/v1/notifications/999999/read"), 404)
    assert_error(intake.post("/api/v1/notifications/99999999999999999999/read"), 404)
    assert intake.get("/api/v1/notifications?unread=true").json()["total"] == 2
    assert dispatcher.get("/api/v1/notifications").json()["total"] == 0

    marked = intake.post("/api/v1/notifications/read")
    assert marked.status_code == 200 and marked.json() == {"marked": 2, "unread": 0}
    assert intake.post("/api/v1/notifications/read").json() == {"marked": 0, "unread": 0}


def test_refusals(api):
    intake = api.as_user("intake")
    assert_error(api.anonymous().get("/api/v1/notifications"), 401)
    assert set(assert_error(intake.get("/api/v1/notifications?per_page=0&unread=maybe"), 422)["errors"]) == {
        "per_page", "unread"}
    assert set(assert_error(intake.get("/api/v1/notifications?colour=red"), 422)["errors"]) == {"colour"}
    assert_error(intake.get("/api/v1/notifications/read"), 405)
    hotline = api.as_client("hotline-xm", "hotline12345")
    assert_error(hotline.get("/api/v1/notifications"), 403)
    assert_error(hotline.post("/api/v1/notifications/read"), 403)


def test_the_document_describes_them(api):
    document = api.anonymous().get("/api/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/api/v1/notifications"]) == {"get"}
    assert set(paths["/api/v1/notifications/read"]) == {"post"}
    assert set(paths["/api/v1/notifications/{notification_id}/read"]) == {"post"}
    schemas = document["components"]["schemas"]
    assert set(schemas["Notification"]["properties"]) == NOTIFICATION_KEYS
    assert schemas["Notification"]["properties"]["kind"]["enum"] == [
        "new_task", "supervision", "returned", "check_failed", "warning", "overdue"]
    assert {"items", "total", "unread", "page", "per_page", "pages"} == set(schemas["NotificationPage"]["properties"])
    query = {p["name"] for p in paths["/api/v1/notifications"]["get"]["parameters"]}
    assert query == {"unread", "page", "per_page"}
