"""Intake burst: 500 distinct reports from 16 clients at once over 3 server processes on PostgreSQL,
with a server killed (kill -9) and started again four times while they come in. Clients retry only
after a connection error or a 503, as the hotline gateway would. Every report is filed exactly once,
none is refused because another arrived at the same moment (no 409), and the numbers of the day
are 1 to 500 without a gap: what a killed server had half-done was rolled back, number included."""
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select

from handlers.audit import verify as audit
from handlers.cases.models import Case
from tests.reliability.conftest import client_token
from tests.reliability.servers import HotlineReports, run_threads

pytestmark = pytest.mark.reliability

REPORTS, CLIENTS, SERVERS = 500, 16, 3
KILL_AT = (60, 160, 260, 360)        # reports answered when the next server is killed and restarted
BURST_SECONDS = 300



def test_a_burst_of_distinct_reports_is_filed_exactly_once_while_servers_are_killed(pg_city, postgres_url, serve):
    city = pg_city
    city.set_clock("2026-03-02 16:05")
    token = client_token(city, "hotline-xm", "hotline12345")
    farm = serve(SERVERS, postgres_url)
    reports = HotlineReports(farm.urls, token, [f"12345-{i:04d}" for i in range(REPORTS)])

    kills = []

    def killer():
        deadline = time.monotonic() + BURST_SECONDS
        for n, at in enumerate(KILL_AT):
            while reports.answered < at and time.monotonic() < deadline:
                time.sleep(0.01)
            if time.monotonic() >= deadline:
                return
            kills.append(reports.answered)
            farm.kill_and_restart(n % SERVERS)
    killing = threading.Thread(target=killer, daemon=True)
    started = time.monotonic()
    killing.start()
    run_threads(CLIENTS, reports.client, BURST_SECONDS)
    killing.join(60)
    seconds = time.monotonic() - started

    assert len(kills) == len(KILL_AT) and max(kills) < REPORTS, kills       # all four during the burst
    assert sum(s.starts for s in farm.servers) == SERVERS + len(KILL_AT)
    answers = reports.answers
    assert sum(a.connection_errors for a in answers.values()) > 0             # the kills were felt
    print(f"{REPORTS} reports in {seconds:.1f} s:", dict(Counter(a.status for a in answers.values())), "cut off:",
          dict(Counter(kind for a in answers.values() for kind in a.cut_off)), "kills after", kills)
    statuses = Counter(a.status for a in answers.values())
    refused = {ref: (a.status, a.response.text[:200] if a.response is not None else None)
               for ref, a in answers.items() if a.status not in (200, 201)}
    assert not refused, (statuses, list(refused.items())[:10])
    # 200 ("filed already") only for a retry after a connection was cut: the first attempt had filed it
    assert all(a.connection_errors for a in answers.values() if a.status == 200)
    assert len(answers) == REPORTS

    stored = dict(city.work(lambda s: s.execute(select(Case.external_ref, Case.case_no)
                                                .where(Case.channel == "hotline12345")).all()))
    assert len(stored) == REPORTS == city.work(lambda s: s.query(Case).count())
    assert {ref: a.response.json()["case_no"] for ref, a in answers.items()} == stored    # acknowledged = stored
    assert sorted(stored.values()) == [f"20260302{n:05d}" for n in range(1, REPORTS + 1)]

    def verify(session):
        return [r for r in (audit.verify_case(session, city.runtime, no) for no in audit.all_case_numbers(session))
                if not r.ok]
    started = time.monotonic()
    assert city.work(verify) == []
    print(f"audit verify of {REPORTS} cases: {time.monotonic() - started:.1f} s")
