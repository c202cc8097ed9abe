"""instances.save's version check: an instance changed by someone else since it was loaded is
Stale, nothing of the losing save kept, also when a write of the losing save fails after the check
(on PostgreSQL the check is answered where the pipelined writes end: the winner's event keys then
refuse the loser's events first). Real SQLite file and real PostgreSQL."""
import pytest
from sqlalchemy import func, insert, select, update

from engine import events, instances
from engine.models import Event, Instance
from tests.engine.test_timers import DUE, _start_many, make_bare


@pytest.fixture
def bare(db_url):
    bare = make_bare(db_url)
    yield bare
    bare.db.dispose()


def test_a_lost_version_check_is_stale_though_the_winners_events_refuse_the_losers(bare):
    [instance_id] = _start_many(bare, 1)
    with bare.db.reading() as session:
        before = session.scalar(select(func.count()).select_from(Event).where(Event.instance_id == instance_id))
        version = session.get(Instance, instance_id).version
    with pytest.raises(instances.Stale):
        with bare.db.unit_of_work() as session:
            bare.runtime.clock.sync(session)
            loaded = instances.load(session, bare.runtime, instance_id, actor="test")
            instances.update_data(loaded, {"due": DUE.isoformat(), "note": "loser"}, reason="test")
            # the winner, as a plain statement no ORM object sees: its version, and its event in the
            # place the loser's would take
            row = loaded.instance
            table = Instance.__table__
            connection = session.connection()
            connection.execute(update(table).where(table.c.id == instance_id).values(version=table.c.version + 1))
            connection.execute(insert(Event.__table__).values(
                stream=events.instance_stream(instance_id), seq=row.event_seq + 1, at=row.updated_at, kind="noted",
                actor="winner", instance_id=instance_id, deployment_id=row.deployment_id, step=None, data={},
                prev_hash=row.event_hash, hash="f" * 64))
            instances.save(session, bare.runtime, loaded)
    with bare.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.instance_id == instance_id)) == before
        assert session.get(Instance, instance_id).version == version
