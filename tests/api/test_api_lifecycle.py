"""The seed's sewage case from report to close through the API, each step by the right user's
token: report -> accept -> dispatch 350203 -> 350203011 -> 350203011003 -> handle -> reviews up ->
check on site -> close. The photos and the API's own timeline events leave the audit intact."""
from handlers.audit import verify as audit
from tests.api.httpapi import form_photos, jpeg, png
from tests.helpers import SEWAGE

GRID_USER = "grid-35020301100301"


def complete(api, username, case_no, step, **form):
    """The user's open `step` task of the case, completed through the API; returns the case JSON."""
    session = api.as_user(username)
    tasks = session.get("/api/v1/tasks", params={"case": case_no}).json()
    task = next((t for t in tasks if t["step"] == step), None)
    assert task, f"{username} has no open {step} on {case_no}: {tasks}"
    response = session.post(f"/api/v1/tasks/{task['id']}/complete", json=form)
    assert response.status_code == 200, response.text
    return response.json()


def test_seed_case_from_report_to_close(api):
    api.city.set_clock("2026-03-02 16:05")
    reported = api.as_user(GRID_USER).post("/api/v1/cases", data=SEWAGE, files=form_photos(jpeg()))
    assert reported.status_code == 201, reported.text
    case_no = reported.json()["case_no"]

    api.city.set_clock("2026-03-02 16:10")
    shown = complete(api, "intake", case_no, "accept_report", decision="file", urgency="A")
    assert (shown["status"], shown["due_at"], shown["holder_unit"]) == (
        "dispatching", "2026-03-03T16:10:00+08:00", "350200")
    shown = complete(api, "dispatcher", case_no, "dispatch", action="assign", unit="350203")
    shown = complete(api, "officer-350203", case_no, "dispatch", action="assign", unit="350203011")
    shown = complete(api, "officer-350203011", case_no, "dispatch", action="assign", unit="350203011003")
    shown = complete(api, "officer-350203011003", case_no, "dispatch", action="handle")
    assert (shown["status"], shown["holder_unit"]) == ("handling", "350203011003")

    api.city.set_clock("2026-03-03 10:00")
    handler = api.as_user("officer-350203011003")
    after = handler.post(f"/api/v1/cases/{case_no}/photos", data={"kind": "after"}, files=form_photos(png()))
    assert after.status_code == 201 and after.json()["photos"][0]["step"] == "handle"
    shown = complete(api, "officer-350203011003", case_no, "handle", action="done", result="莲景物业维修，已处置")
    assert shown["status"] == "reviewing"
    for reviewer in ("officer-350203011", "officer-350203", "dispatcher"):
        shown = complete(api, reviewer, case_no, "review", approved=True)
    assert shown["status"] == "checking"

    checker = api.as_user(GRID_USER)
    check = checker.post(f"/api/v1/cases/{case_no}/photos", data={"kind": "check"}, files=form_photos(jpeg()))
    assert check.status_code == 201 and check.json()["photos"][0]["step"] == "check_result"
    shown = complete(api, GRID_USER, case_no, "check_result", passed=True, note="现场已无污水")
    assert shown["status"] == "closing"
    shown = complete(api, "shiftlead", case_no, "close_case", comment="结案")
    assert (shown["status"], shown["open_tasks"], shown["penalties"], shown["overdue"]) == ("closed", [], [], False)

    events = api.as_user("auditor").get(f"/api/v1/cases/{case_no}/events").json()
    steps = [e["step"] for e in events if e["kind"] == "task_completed"]
    assert steps == ["accept_report", "dispatch", "dispatch", "dispatch", "dispatch", "handle", "review", "review",
                     "review", "check_result", "close_case"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["at"].endswith("+08:00") for e in events)
    completed = [e for e in events if e["kind"] == "task_completed"]
    assert completed[0]["actor"] == "intake" and completed[-1]["actor"] == "shiftlead"
    photos = [(e["data"]["kind"], e["step"]) for e in events if e["kind"] == "photos_added"]
    assert photos == [("before", None), ("after", "handle"), ("check", "check_result")]
    # The closed case takes no more photos.
    assert checker.post(f"/api/v1/cases/{case_no}/photos", data={"kind": "before"},
                        files=form_photos(jpeg())).status_code == 409
    result = api.city.work(lambda s: audit.verify_case(s, api.city.runtime, case_no))
    assert result.ok, result.problem
