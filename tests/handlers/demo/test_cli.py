"""`db upgrade` and `demo load` on the whole product: both idempotent, sample cases only into an empty
database."""
from sqlalchemy import select, text

from engine import events
from engine.models import Deployment
from tests.commandline import run

def test_db_upgrade_and_demo_load_are_idempotent(city, cli):
    def snapshot(session):
        return (list(session.execute(select(Deployment.id, Deployment.hash).order_by(Deployment.id)).all()),
                [(e.seq, e.kind) for e in events.get_stream(session, events.SYSTEM)],
                session.execute(text("SELECT version_num FROM alembic_version")).scalars().all(),
                session.execute(text("SELECT count(*) FROM units")).scalar(),
                session.execute(text("SELECT count(*) FROM users")).scalar())
    before = city.work(snapshot)                   # the fixture already upgraded and loaded once
    assert [kind for _, kind in before[1]] == ["deployed", "deployed"]     # the two shipped processes
    sample_cases = []
    for _ in range(2):
        result = run(cli, "db", "upgrade")
        assert result.stdout.strip().splitlines() == [
            f"process case_handling: version {before[0][0][0]} ({before[0][0][1][:12]})",
            f"process municipal_emergency: version {before[0][1][0]} ({before[0][1][1][:12]})", "database is up to date"]
        lines = run(cli, "demo", "load", "--months", "0").stdout.strip().splitlines()
        assert lines[0] == "0 units and 0 users added (password: demo)"
        sample_cases.append(lines[-1])
    assert sample_cases == ["5 sample cases added", "0 sample cases added"]   # only into an empty database
    assert city.work(snapshot) == before
