"""Completing tasks through the API: 401/403/404/409/422 as documented, nothing written when
refused, and of two racing completions of one task exactly one wins (200) and the other is 409."""
import threading
import uuid

from engine.models import Event
from tests.api.httpapi import Session, assert_error
from tests.helpers import SEWAGE


def new_case(api):
    response = api.as_user("grid-35020301100301").post("/api/v1/cases", json=SEWAGE)
    assert response.status_code == 201, response.text
    return response.json()


def event_count(api):
    return api.city.work(lambda s: s.query(Event).count())


def test_refusals(api):
    case = new_case(api)
    task_id = case["open_tasks"][0]["id"]
    path = f"/api/v1/tasks/{task_id}/complete"
    written = event_count(api)

    assert_error(api.anonymous().post(path, json={"decision": "void", "reason": "x"}), 401)
    assert_error(api.as_user("officer-350206").post(path, json={"decision": "void", "reason": "x"}), 404)  # 湖里: unseen
    body = assert_error(api.as_user("officer-350203").post(path, json={"decision": "void", "reason": "x"}), 403)
    assert "accept_report" in body["error"]                      # 思明 sees the case, but it is not its task
    intake = api.as_user("intake")
    assert_error(intake.post(f"/api/v1/tasks/{uuid.uuid4()}/complete", json={}), 404)
    assert_error(intake.post("/api/v1/tasks/not-a-task/complete", json={}), 404)
    assert_error(intake.post(path, data="{", headers={"Content-Type": "application/json"}), 400)
    assert set(assert_error(intake.post(path, json={"decision": "file"}), 422)["errors"]) == {"urgency"}
    assert set(assert_error(intake.post(path, json={"decision": "file", "urgency": "D", "x": 1}), 422)["errors"]) == {
        "urgency", "x"}
    assert set(assert_error(intake.post(path, json={"decision": "merge", "duplicate_of": "2099"}), 422)["errors"]) == {
        "duplicate_of"}
    assert_error(intake.get(path), 405)
    assert event_count(api) == written
    assert api.as_user("officer-350203").get("/api/v1/tasks").json() == []

    done = intake.post(path, json={"decision": "file", "urgency": "B"})
    assert done.status_code == 200 and done.json()["status"] == "dispatching"
    assert_error(intake.post(path, json={"decision": "file", "urgency": "B"}), 409)    # already completed
    dispatch = done.json()["open_tasks"][0]["id"]
    body = assert_error(api.as_user("dispatcher").post(f"/api/v1/tasks/{dispatch}/complete",
                                                       json={"action": "assign", "unit": "350203011"}), 422)
    assert set(body["errors"]) == {"unit"}                        # a street is not directly below the center


def test_racing_completions_one_wins(api):
    for _ in range(3):
        case = new_case(api)
        path = f"/api/v1/tasks/{case['open_tasks'][0]['id']}/complete"
        racers = [Session(api.base, api.login("intake")) for _ in range(2)]
        barrier, answers = threading.Barrier(2), []

        def race(session, urgency):
            barrier.wait()
            answers.append(session.post(path, json={"decision": "file", "urgency": urgency}))
        threads = [threading.Thread(target=race, args=(s, u)) for s, u in zip(racers, "AB")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        loser = next(a for a in answers if a.status_code == 409)
        assert set(loser.json()) == {"error", "errors"}
        winner = next(a for a in answers if a.status_code == 200).json()
        shown = api.as_user("intake").get(f"/api/v1/cases/{case['case_no']}").json()
        assert shown["urgency"] == winner["urgency"] and shown["status"] == "dispatching"
        completions = [e for e in api.as_user("intake").get(f"/api/v1/cases/{case['case_no']}/events").json()
                       if e["kind"] == "task_completed"]
        assert len(completions) == 1
