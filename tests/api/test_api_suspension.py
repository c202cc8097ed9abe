"""挂起 through the API, over HTTP on SQLite and PostgreSQL: asked and approved through the task
completion endpoint, the case JSON says 挂起 with why and until when, the shift lead resumes it
(`POST /api/v1/cases/<no>/resume`); refusals (422 field messages, 403, 409) write nothing."""
from tests.api.test_api_lifecycle import complete
from tests.handlers.cases.test_lifecycle import JIALIAN, SIMING, YINGCUI, file_case


def test_suspend_and_resume_through_the_api(api):
    city = api.city
    case_no = file_case(city, urgency="B", reported="2026-04-02 09:50", filed="2026-04-02 10:00")
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    city.set_clock("2026-04-03 10:00")
    officer = f"officer-{YINGCUI}"
    handle = city.task(case_no, "handle")["id"]
    bad = api.as_user(officer).post(f"/api/v1/tasks/{handle}/complete",
                                    json={"action": "suspend", "reason": "等待审批", "resume_on": "2026-05-30"})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"resume_on"}
    complete(api, officer, case_no, "handle", action="suspend", reason="等待电力公司迁改", resume_on="2026-04-08")
    body = complete(api, "shiftlead", case_no, "approve_suspension", approved=True, comment="同意")
    assert body["status"] == "suspended" and body["suspension"]["resume_on"] == "2026-04-08"
    assert body["suspension"]["reason"] == "等待电力公司迁改"
    assert [t["step"] for t in body["open_tasks"]] == ["resume_case"]

    path = f"/api/v1/cases/{case_no}/resume"
    assert api.as_user(officer).post(path, json={}).status_code == 403
    assert api.as_user("shiftlead").post(path, json={"extra": 1}).status_code == 422
    city.set_clock("2026-04-07 10:00")          # suspended Fri 10:00 - Tue 10:00: 7 office hours
    resumed = api.as_user("shiftlead").post(path, json={"comment": "已迁改"})
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "handling" and resumed.json()["suspension"] is None
    assert resumed.json()["due_at"] == "2026-04-08T10:00:00+08:00"
    again = api.as_user("shiftlead").post(path, json={})
    assert again.status_code == 409
