"""Racing completions: for each of 50 cases, 20 requests complete its 受理审核 task at the same moment,
spread over 3 server processes on PostgreSQL, each with its own decision. Exactly one is answered
200 and its decision is what the case holds; the other 19 are 409 with a message that names no
internal id; the case's history has exactly one completion of the step."""
import threading
from collections import Counter

import pytest

from handlers import errors
from handlers.audit import verify as audit
from tests.reliability.conftest import user_token
from tests.reliability.servers import Client, run_threads

pytestmark = pytest.mark.reliability

CASES, RACERS, SERVERS = 50, 20, 3
ROUND_SECONDS = 120
ALREADY_DONE = "该待办已被办理"        # the API's word for a task completed meanwhile


def form(i):
    return {"decision": "file", "urgency": "ABC"[i % 3], "category": "200115"}


def test_twenty_racing_completions_of_one_task_one_wins_the_rest_are_409(pg_city, postgres_url, serve):
    city = pg_city
    city.set_clock("2026-03-02 16:05")
    numbers = [city.report(external_ref=f"app-{i}") for i in range(CASES)]
    tasks = {no: city.task(no, "accept_report")["id"] for no in numbers}
    farm = serve(SERVERS, postgres_url)
    token = user_token(city, "intake")
    clients = [Client(farm.urls, token, first=i) for i in range(RACERS)]

    outcomes = {}
    for no in numbers:
        start, answers = threading.Barrier(RACERS), [None] * RACERS

        def racer(i):
            start.wait(timeout=30)
            answers[i] = clients[i].send("POST", f"/api/v1/tasks/{tasks[no]}/complete", json=form(i))
        run_threads(RACERS, racer, ROUND_SECONDS)
        outcomes[no] = answers

    retried = [a for answers in outcomes.values() for a in answers if a.attempts != 1]
    assert not retried, retried[:5]                 # no connection error, no 503: every answer is the first
    print("answers:", dict(Counter(a.status for answers in outcomes.values() for a in answers)), "409s:",
          dict(Counter(a.response.json()["error"] for answers in outcomes.values() for a in answers
                       if a.status == 409)))
    for no, answers in outcomes.items():
        assert sorted(a.status for a in answers) == [200] + [409] * (RACERS - 1), (no, [a.status for a in answers])
        winner = next(i for i, a in enumerate(answers) if a.status == 200)
        for loser in (a for a in answers if a.status == 409):
            assert loser.response.json() in ({"error": ALREADY_DONE, "errors": {}},
                                             {"error": errors.LOST_RACE, "errors": {}}), loser.response.text
        shown = city.show(no)
        assert answers[winner].response.json()["urgency"] == shown["urgency"] == form(winner)["urgency"]
        assert shown["status"] == "dispatching"
        assert [t["step"] for t in shown["open_tasks"]] == ["dispatch"]
        history = clients[0].send("GET", f"/api/v1/cases/{no}/events").response.json()
        completions = [e for e in history if e["kind"] == "task_completed"]
        assert [(e["step"], e["data"]["form"]["urgency"]) for e in completions] == [
            ("accept_report", form(winner)["urgency"])]

    for client in clients:
        client.close()

    def verify(session):
        return [r for r in (audit.verify_case(session, city.runtime, no) for no in numbers) if not r.ok]
    assert city.work(verify) == []
