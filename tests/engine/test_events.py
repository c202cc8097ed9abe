"""engine.events: the append-only, hash-chained log. Every way of rewriting history that the chain
can see (a deleted, edited, re-ordered or forged event) is reported with a clear message; two
writers racing on one stream cannot both take the same place in it. SQLite and PostgreSQL."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from engine import events
from engine.db import Base, Database
from engine.models import Event

STREAM = "instance:7"
T0 = datetime(2026, 3, 2, 8, 10, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def append_three(db, stream=STREAM):
    with db.unit_of_work() as session:
        events.append(session, stream=stream, kind="started", at=T0, actor="intake", instance_id=7,
                      deployment_id=1, step="case_handling", data={"data": {"grid": "35020301100301"}})
        events.append(session, stream=stream, kind="task_completed", at=T0 + timedelta(minutes=5), actor="intake",
                      instance_id=7, deployment_id=1, step="accept_report",
                      data={"form": {"decision": "file", "urgency": "A", "说明": "污水"}})
        events.append(session, stream=stream, kind="penalty", at=T0 + timedelta(days=1), actor="timer",
                      instance_id=7, deployment_id=1, data={"unit": "350203011003", "points": 1.0})


def check(db, stream=STREAM):
    with db.unit_of_work() as session:
        return events.verify_stream(session, stream)


def sql(db, statement, **params):
    with db.unit_of_work() as session:
        session.execute(text(statement), params)


def test_appended_events_chain_and_verify(db):
    append_three(db)
    with db.unit_of_work() as session:                 # a later unit of work continues the chain
        events.append(session, stream=STREAM, kind="timers_fired", at=T0 + timedelta(days=2), actor="timer",
                      instance_id=7, data={"timers": [{"timer": "overdue_daily_timer", "occurrence": "x"}]})
    with db.unit_of_work() as session:
        stream = events.get_stream(session, STREAM)
    assert [e.seq for e in stream] == [1, 2, 3, 4]
    assert stream[0].prev_hash == events.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(stream, stream[1:]))
    assert len({e.hash for e in stream}) == 4
    assert stream[1].data["form"]["说明"] == "污水"        # stored exactly as hashed
    assert stream[0].at == T0                              # read back as aware UTC, the same instant
    assert check(db) == events.ChainCheck(True, 4)


def test_streams_are_separate_chains(db):
    append_three(db)
    append_three(db, stream="instance:8")
    with db.unit_of_work() as session:
        events.append(session, stream=events.SYSTEM, kind="clock_changed", at=T0, actor="cli", data={})
    assert check(db).ok and check(db, "instance:8").ok and check(db, events.SYSTEM) == events.ChainCheck(True, 1)
    assert check(db, "instance:404") == events.ChainCheck(True, 0)
    sql(db, "DELETE FROM events WHERE stream = 'instance:8' AND seq = 2")
    assert check(db).ok and not check(db, "instance:8").ok


def test_a_deleted_middle_event_is_detected(db):
    append_three(db)
    sql(db, "DELETE FROM events WHERE stream = :s AND seq = 2", s=STREAM)
    result = check(db)
    assert not result.ok
    assert result.problem == f"event #2 of {STREAM} is missing"


@pytest.mark.parametrize("column, value", [
    ("actor", "someone"),
    ("kind", "task_cancelled"),
    ("step", "dispatch"),
    ("instance_id", 8),
    ("deployment_id", 2),
    ("at", datetime(2026, 3, 2, 0, 11)),             # one minute later (stored as naive UTC)
])
def test_an_edited_field_is_detected(db, column, value):
    append_three(db)
    sql(db, f"UPDATE events SET {column} = :v WHERE stream = :s AND seq = 2", v=value, s=STREAM)
    result = check(db)
    assert not result.ok
    assert result.problem == f"event #2 of {STREAM} ({'task_completed' if column != 'kind' else value}) was altered"


def test_edited_data_is_detected(db):
    append_three(db)
    with db.unit_of_work() as session:
        session.execute(update(Event).where(Event.stream == STREAM, Event.seq == 2)
                        .values(data={"form": {"decision": "void", "urgency": "A", "说明": "污水"}}))
    assert check(db).problem == f"event #2 of {STREAM} (task_completed) was altered"


def test_an_edited_event_with_its_hash_recomputed_breaks_the_next_link(db):
    append_three(db)
    with db.unit_of_work() as session:
        second = session.scalar(select(Event).where(Event.stream == STREAM, Event.seq == 2))
        second.actor = "someone"
        second.hash = events._digest(second.prev_hash, second.stream, second.seq, second.at, second.kind,
                                     second.actor, second.instance_id, second.deployment_id, second.step, second.data)
    assert check(db).problem == f"event #3 of {STREAM} does not follow its predecessor"


def test_reordered_events_are_detected(db):
    append_three(db)
    with db.unit_of_work() as session:                 # swap #2 and #3 (through a free seq: it is unique)
        for old, new in ((2, 99), (3, 2), (99, 3)):
            session.execute(update(Event).where(Event.stream == STREAM, Event.seq == old).values(seq=new))
    result = check(db)
    assert not result.ok
    assert result.problem == f"event #2 of {STREAM} does not follow its predecessor"


def test_a_forged_event_with_a_wrong_prev_hash_is_detected(db):
    append_three(db)
    with db.unit_of_work() as session:
        prev = "f" * 64
        at = T0 + timedelta(days=3)
        data = {"unit": "350203", "points": -10.0}
        session.add(Event(stream=STREAM, seq=4, at=at, kind="penalty", actor="timer", instance_id=7,
                          deployment_id=1, step=None, data=data, prev_hash=prev,
                          hash=events._digest(prev, STREAM, 4, at.astimezone(timezone.utc), "penalty", "timer", 7, 1,
                                              None, data)))
    result = check(db)
    assert not result.ok
    assert result.problem == f"event #4 of {STREAM} does not follow its predecessor"


def test_an_inserted_event_is_detected(db):
    append_three(db)
    with db.unit_of_work() as session:                 # squeeze one in between #1 and #2
        for seq in (3, 2):
            session.execute(update(Event).where(Event.stream == STREAM, Event.seq == seq).values(seq=seq + 1))
        first = session.scalar(select(Event).where(Event.stream == STREAM, Event.seq == 1))
        session.add(Event(stream=STREAM, seq=2, at=T0, kind="task_completed", actor="intake", instance_id=7,
                          deployment_id=1, step="accept_report", data={}, prev_hash=first.hash, hash="0" * 64))
    assert check(db).problem == f"event #2 of {STREAM} (task_completed) was altered"


def head_of(db, stream=STREAM):
    with db.unit_of_work() as session:
        last = events.get_stream(session, stream)[-1]
        return last.seq, last.hash


def test_given_its_head_a_removed_newest_event_is_detected(db):
    append_three(db)
    head = head_of(db)                                 # as an instance row keeps it
    assert check(db).ok
    with db.unit_of_work() as session:
        assert events.verify_stream(session, STREAM, head=head).ok
    sql(db, "DELETE FROM events WHERE stream = :s AND seq = 3", s=STREAM)
    with db.unit_of_work() as session:
        result = events.verify_stream(session, STREAM, head=head)
    assert not result.ok
    assert result.problem == f"{STREAM} ends at event #2, not at its recorded head #3"


def test_given_its_head_an_event_appended_past_it_is_detected(db):
    append_three(db)
    head = head_of(db)
    with db.unit_of_work() as session:                 # a well-formed link, forged after the head
        events.append(session, stream=STREAM, kind="penalty", at=T0, actor="mallory", instance_id=7, data={})
    assert check(db).ok                                # the chain alone cannot tell
    with db.unit_of_work() as session:
        assert events.verify_stream(session, STREAM, head=head).problem == (
            f"{STREAM} ends at event #4, not at its recorded head #3")


def test_a_removed_newest_event_of_the_system_stream_is_detected(db):
    append_three(db, stream=events.SYSTEM)
    sql(db, "DELETE FROM events WHERE stream = :s AND seq = 3", s=events.SYSTEM)
    assert not check(db, events.SYSTEM).ok


def test_a_racing_duplicate_append_fails_loudly(db):
    """Two writers that read the same head of a stream: the (stream, seq) key lets one in."""
    append_three(db)
    if db.engine.dialect.name == "postgresql":
        # both units of work open at once: each reads head #3 and appends #4
        s1, s2 = db.sessionmaker(), db.sessionmaker()
        try:
            events.append(s1, stream=STREAM, kind="task_completed", at=T0 + timedelta(days=2), actor="a", data={})
            events.append(s2, stream=STREAM, kind="task_completed", at=T0 + timedelta(days=2), actor="b", data={})
            s1.commit()
            with pytest.raises(IntegrityError):
                s2.commit()
        finally:
            s1.close()
            s2.close()
    else:
        # SQLite lets one writer transaction in at a time (BEGIN IMMEDIATE), so two units of work
        # cannot read the same head; a session that outlives its transaction still can.
        s2 = db.sessionmaker()
        try:
            events.append(s2, stream=STREAM, kind="notified", at=T0 + timedelta(days=1), actor="b", data={})
            s2.commit()                                  # head #4, remembered by s2
            with db.unit_of_work() as s1:
                events.append(s1, stream=STREAM, kind="task_completed", at=T0 + timedelta(days=2), actor="a",
                              data={})                  # #5
            events.append(s2, stream=STREAM, kind="task_completed", at=T0 + timedelta(days=2), actor="b", data={})
            with pytest.raises(IntegrityError):
                s2.commit()                              # #5 again
        finally:
            s2.close()
    with db.unit_of_work() as session:
        stream = events.get_stream(session, STREAM)
    assert [e.actor for e in stream][-1] == "a"
    assert len({e.seq for e in stream}) == len(stream)
    assert check(db).ok


def test_a_rollback_forgets_the_remembered_head(db):
    append_three(db)
    session = db.sessionmaker()
    try:
        events.append(session, stream=STREAM, kind="notified", at=T0, actor="x", data={})
        session.rollback()                               # #4 never happened
        events.append(session, stream=STREAM, kind="notified", at=T0, actor="y", data={})
        session.commit()
    finally:
        session.close()
    with db.unit_of_work() as session:
        assert [(e.seq, e.actor) for e in events.get_stream(session, STREAM)][-1] == (4, "y")
    assert check(db).ok
