"""handlers.demo.history: months of cases played through the real services in simulated time,
the same for the same seed, with what the evaluation needs to tell units apart (late and punctual
handlings, returns, reworks, extensions, voided and merged reports, penalties), reports placed as
phones would place them (for the map), and a history that verifies: every case's chain, replay and
derived rows."""
from sqlalchemy import func, select

from engine.db import get_db
from handlers.audit import verify
from handlers.cases.models import Case
from handlers.cases.penalties import Penalty
from handlers.demo import history, tree
from handlers.evaluation.steps import CaseStep
from handlers.workcalendar.worktime import get_calendar
from tests.conftest import make_app
from tests.helpers import City


def played(tmp_path, name, seed, per_month=14):
    city = City(make_app(f"sqlite:///{tmp_path / name}"))
    city.setup()
    city.set_clock("2026-03-02 09:00")
    summary = history.generate(get_db(city.app), city.runtime, city.directory, get_calendar(city.app), months=1,
                               seed=seed, end=city.now(), per_month=per_month)

    def read(session):
        cases = [tuple(r) for r in session.execute(select(Case.case_no, Case.status, Case.urgency, Case.due_at,
                                                          Case.handler_unit, Case.closed_at, Case.channel, Case.grid,
                                                          Case.community, Case.lng, Case.lat).order_by(Case.id))]
        points = session.scalar(select(func.sum(Penalty.points)))
        outcomes = {(s, o): n for s, o, n in session.execute(
            select(CaseStep.step, CaseStep.outcome, func.count()).group_by(CaseStep.step, CaseStep.outcome))}
        return cases, points, outcomes
    return city, summary, city.work(read)


def test_the_same_seed_plays_the_same_history(tmp_path):
    first, summary, found = played(tmp_path, "a.db", seed=7)
    again = played(tmp_path, "b.db", seed=7)
    other = played(tmp_path, "c.db", seed=8)
    try:
        assert summary.cases == len(found[0]) > 5 and summary.steps > 5 * summary.cases
        assert found == again[2]
        assert found != other[2]
    finally:
        for city in (first, again[0], other[0]):
            city.app.extensions["citygrid.db"].dispose()


def test_a_history_with_the_ups_and_downs_of_a_real_one_and_it_verifies(tmp_path):
    city, summary, (cases, points, outcomes) = played(tmp_path, "d.db", seed=2026, per_month=120)
    try:
        statuses = {status for _, status, *_ in cases}
        assert {"closed", "voided"} <= statuses and len(statuses) >= 4, statuses
        for step, outcome in [("dispatch", "return"), ("check_result", "failed"), ("handle", "extend"),
                              ("approve_extension", "approved"), ("check_result", "passed"), ("supervise", "supervised")]:
            assert outcomes.get((step, outcome)), (step, outcome, outcomes)
        assert points and points > 0 and summary.timers > 0
        # Returns are the exception, as in a real city: a wrong dispatch sent back, never a ping-pong.
        filed = outcomes[("accept_report", "file")]
        returns = outcomes[("dispatch", "return")] + outcomes.get(("handle", "return"), 0)
        assert returns <= 0.15 * filed, (returns, filed)

        def most_returns(session):
            per_case = (select(func.count().label("n")).where(CaseStep.outcome == "return")
                        .group_by(CaseStep.case_id).subquery())
            return session.scalar(select(func.max(per_case.c.n)))
        assert city.work(most_returns) <= 2

        def check(session):
            return [r for r in (verify.verify_case(session, city.runtime, no) for no, *_ in cases) if not r.ok]
        assert city.work(check) == []
    finally:
        city.app.extensions["citygrid.db"].dispose()


def test_grid_workers_report_with_their_position_callers_mostly_without(tmp_path):
    city, _, (cases, _, _) = played(tmp_path, "e.db", seed=2026, per_month=40)
    try:
        centres = tree.centres()
        grid = [(g, lng, lat) for _, _, _, _, _, _, channel, g, _, lng, lat in cases if channel == "grid"]
        placed = [(g, lng, lat) for g, lng, lat in grid if lng is not None]
        assert len(grid) > 10 and 0.75 * len(grid) <= len(placed) < len(grid)
        for g, lng, lat in placed:         # near the grid's centre (within 150 m or so)
            assert abs(lng - centres[g][0]) <= 0.0015 and abs(lat - centres[g][1]) <= 0.0015, (g, lng, lat)
        calls = [c for c in cases if c[6] in ("hotline12345", "transfer110")]
        assert calls and all(c[9] is None and c[10] is None and c[7] is None for c in calls)
    finally:
        city.app.extensions["citygrid.db"].dispose()
