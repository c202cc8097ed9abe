"""A database outage: PostgreSQL stopped and started again (`pg_ctl stop -m fast`, what a restart does)
while reports come in. The database is a cluster of this test's own (tests/reliability/postgres.py:
initdb in a temporary folder, its own port), so restarting it hurts no other test running beside it;
the shared server on 5432 is never touched.

During the outage the API reports.answers 503 with Retry-After and its JSON error, the web UI its 503 page,
never a 500, and the servers' log says the database is unreachable; once the database is back the
same server processes answer again (no restart); every report acknowledged is stored, exactly once,
and nothing is half-written (the numbers of the day have no gap, every case verifies)."""
import re
import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import select

from handlers import errors
from handlers.audit import verify as audit
from handlers.cases.models import Case
from tests.reliability.conftest import city_on, client_token
from tests.reliability.postgres import cluster  # noqa: F401  (the fixture)
from tests.reliability.servers import HotlineReports, run_threads

pytestmark = pytest.mark.reliability

REPORTS, CLIENTS, SERVERS = 240, 8, 2
STOP_AT = 60                # reports answered when the database stops
OUTAGE_SECONDS = 3          # how long it stays down
LOAD_SECONDS = 240
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_login(url, username):
    browser = requests.Session()
    token = CSRF.search(browser.get(url + "/login", timeout=30).text)[1]
    response = browser.post(url + "/login", data={"username": username, "password": "demo", "csrf_token": token},
                            allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:500]
    return browser


def test_a_database_restart_answers_503_then_recovers_without_restarting_the_app(cluster, serve):
    city = city_on(cluster.url)
    try:
        city.set_clock("2026-03-02 16:05")
        token = client_token(city, "hotline-xm", "hotline12345")
        farm = serve(SERVERS, cluster.url)
        pids = [s.pid for s in farm.servers]
        browser = web_login(farm.urls[0], "intake")
        assert browser.get(farm.urls[0] + "/tasks", timeout=30).status_code == 200

        reports = HotlineReports(farm.urls, token, [f"12345-{i:04d}" for i in range(REPORTS)])

        during = {}

        def outage():
            deadline = time.monotonic() + LOAD_SECONDS
            while reports.answered < STOP_AT and time.monotonic() < deadline:
                time.sleep(0.01)
            during["answered before"] = reports.answered
            cluster.stop("fast")
            try:
                during["page"] = browser.get(farm.urls[0] + "/tasks", timeout=30)
                known = reports.first().response.json()["case_no"]
                during["api"] = requests.get(f"{farm.urls[1]}/api/v1/cases/{known}", timeout=30,
                                             headers={"Authorization": f"Bearer {token}"})
                time.sleep(OUTAGE_SECONDS)
            finally:
                during["answered during"] = reports.answered - during["answered before"]
                cluster.start()
        stopping = threading.Thread(target=outage, daemon=True)
        stopping.start()
        run_threads(CLIENTS, reports.client, LOAD_SECONDS)
        stopping.join(120)
        assert not stopping.is_alive()

        # during the outage: 503 with Retry-After, the API's JSON error and the web UI's page
        answers = reports.answers
        unavailable = [r for a in answers.values() for r in a.unavailable]
        print(f"{REPORTS} reports:", dict(Counter(a.status for a in answers.values())), f"{len(unavailable)} × 503;",
              during)
        assert unavailable and during["answered before"] < REPORTS
        for response in [*unavailable, during["api"]]:
            assert response.status_code == 503 and response.headers["Retry-After"] == "5"
            assert response.json() == {"error": errors.UNREACHABLE, "errors": {}}
        page = during["page"]
        assert page.status_code == 503 and page.headers["Retry-After"] == "5", page.text[:500]
        assert page.headers["Content-Type"].startswith("text/html") and errors.UNREACHABLE in page.text
        assert "database unreachable (answered 503, Retry-After 5 s)" in farm.logs()
        assert not re.search(r'" 500 ', farm.logs())                          # never a 500

        # afterwards: the same processes answer, the web session still holds
        assert [s.pid for s in farm.servers] == pids and all(s.alive() for s in farm.servers)
        assert browser.get(farm.urls[0] + "/tasks", timeout=30).status_code == 200
        refused = {ref: (a.status, a.response.text[:200] if a.response is not None else None)
                   for ref, a in reports.answers.items() if a.status not in (200, 201)}
        assert not refused and len(reports.answers) == REPORTS, list(refused.items())[:10]
        assert all(a.connection_errors or a.unavailable for a in reports.answers.values() if a.status == 200)

        # acknowledged = stored, exactly once, and nothing half-written
        stored = dict(city.work(lambda s: s.execute(select(Case.external_ref, Case.case_no)).all()))
        assert {ref: a.response.json()["case_no"] for ref, a in reports.answers.items()} == stored
        assert sorted(stored.values()) == [f"20260302{n:05d}" for n in range(1, REPORTS + 1)]

        def verify(session):
            return [r for r in (audit.verify_case(session, city.runtime, no)
                                for no in audit.all_case_numbers(session)) if not r.ok]
        assert city.work(verify) == []
    finally:
        city.db.dispose()
