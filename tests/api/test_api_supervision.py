"""督办 by hand through the API, over HTTP on SQLite and PostgreSQL: the shift lead or the case's
district supervisor presses, the holding unit answers through its task list, the timeline shows
both; refusals (403 role, 404 outside the subtree, 409 nothing waits, 422 field messages) write nothing."""
from tests.api.test_api_lifecycle import complete


def filed(api):
    api.city.set_clock("2026-03-02 16:05")
    case_no = api.city.report()
    api.city.set_clock("2026-03-02 16:10")
    api.city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    return case_no


def events(api, case_no):
    return api.as_user("auditor").get(f"/api/v1/cases/{case_no}/events").json()


def test_pressed_answered_and_on_the_timeline(api):
    case_no = filed(api)
    api.city.assign_down(case_no, "350203", "350203011")
    response = api.as_user("supervisor-350203").post(f"/api/v1/cases/{case_no}/supervise",
                                                     json={"comment": "群众反映强烈，请加快处置"})
    assert response.status_code == 200, response.text
    assert [(t["step"], t["unit"]) for t in response.json()["open_tasks"]] == [
        ("dispatch", "350203011"), ("supervise_reply", "350203011")]
    complete(api, "officer-350203011", case_no, "supervise_reply", plan="今日派人处理", promised_by="2026-03-03")
    kinds = [(e["kind"], e["step"], e["actor"]) for e in events(api, case_no)][-2:]
    assert kinds == [("message_received", "supervise", "supervisor-350203"),
                     ("task_completed", "supervise_reply", "officer-350203011")]


def test_refusals_write_nothing(api):
    case_no = filed(api)
    before = len(events(api, case_no))
    path = f"/api/v1/cases/{case_no}/supervise"
    assert api.as_user("officer-350203").post(path, json={"comment": "x"}).status_code == 403
    assert api.as_user("supervisor-350206").post(path, json={"comment": "x"}).status_code == 404
    bad = api.as_user("shiftlead").post(path, json={"comment": "", "extra": 1})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"comment", "extra"}
    accepting = api.city.report()
    conflict = api.as_user("shiftlead").post(f"/api/v1/cases/{accepting}/supervise", json={"comment": "请处置"})
    assert conflict.status_code == 409 and "不能督办" in conflict.json()["error"]
    assert len(events(api, case_no)) == before
