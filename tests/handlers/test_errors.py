"""handlers.errors: the one table from a refusal to its status, message and field messages (the API
answers it as JSON, the web as a page, the CLI as one line); what is not a refusal is not classified."""
import sqlite3

import psycopg
import pytest
from marshmallow import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError, TimeoutError as PoolTimeout

from engine import instances
from engine.db import Database
from handlers import errors
from handlers.cases.attachments import AttachmentError
from handlers.cases.photos import PhotoTooLarge
from handlers.cases.service import CaseError
from handlers.intake.cameras import CameraError


def database_error(kind, message, sqlstate=None):
    orig = sqlite3.OperationalError(message)
    if sqlstate:
        orig.sqlstate = sqlstate
    return kind("UPDATE instances ...", {}, orig)


@pytest.mark.parametrize("exc, status, errors_, line", [
    (ValidationError({"urgency": ["立案时必填"], "colour": ["未知字段"]}), 422,
     {"urgency": ["立案时必填"], "colour": ["未知字段"]}, "invalid input: urgency: 立案时必填; colour: 未知字段"),
    (ValidationError({"photos": {0: ["须为文本"]}}), 422, {"photos.0": ["须为文本"]}, "invalid input: photos.0: 须为文本"),
    (CaseError("未知网格 1", "grid"), 422, {"grid": ["未知网格 1"]}, "grid: 未知网格 1"),
    (CaseError("the case process is not deployed"), 422, {"_schema": ["the case process is not deployed"]},
     "the case process is not deployed"),
    (errors.PermissionDenied("x may not complete"), 403, {"_schema": ["x may not complete"]}, "x may not complete"),
    (AttachmentError("只接受 JPEG、PNG 或 WebP 图片"), 422, {"photos": ["只接受 JPEG、PNG 或 WebP 图片"]},
     "photos: 只接受 JPEG、PNG 或 WebP 图片"),
    (PhotoTooLarge("照片超过 8 MB 上限"), 413, {"photos": ["照片超过 8 MB 上限"]}, "photos: 照片超过 8 MB 上限"),
    (CameraError("未知摄像头 c1"), 422, {"camera": ["未知摄像头 c1"]}, "camera: 未知摄像头 c1"),
    (instances.NotFound("no case 1"), 404, {}, "no case 1"),
    (instances.Conflict("案件 2026030200001 已结束，不能再上传照片"), 409, {}, "案件 2026030200001 已结束，不能再上传照片"),
    # a lost version check: the message names the instance, the answer does not
    (instances.Stale("instance 3 was changed by someone else"), 409, {}, errors.LOST_RACE),
    (database_error(IntegrityError, "UNIQUE constraint failed: cases.channel, cases.external_ref"), 409, {},
     errors.LOST_RACE),
    (database_error(OperationalError, "deadlock detected", sqlstate="40P01"), 409, {}, errors.LOST_RACE),
    # nobody won: the database could not serve (503 with Retry-After)
    (database_error(OperationalError, "database is locked"), 503, {}, errors.BUSY),
    (database_error(OperationalError, "terminating connection due to administrator command", sqlstate="57P01"),
     503, {}, errors.UNREACHABLE),
    (database_error(OperationalError, "the database system is starting up", sqlstate="57P03"), 503, {},
     errors.UNREACHABLE),
    (OperationalError("SELECT 1", {}, psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused')),
     503, {}, errors.UNREACHABLE),
    (PoolTimeout("QueuePool limit of size 5 overflow 10 reached"), 503, {}, errors.BUSY),
])
def test_each_refusal_has_its_status_and_field_messages(exc, status, errors_, line):
    found = errors.classify(exc)
    assert (found.status, found.errors, found.line) == (status, errors_, line)
    assert isinstance(exc, errors.REFUSALS)
    assert (found.retry_after is not None) == (status == 503)


def test_the_engines_not_found_names_no_internal_id_to_the_caller():
    found = errors.classify(instances.Missing("instance 12 is not waiting for message 'resume'"))
    assert (found.status, found.message) == (404, errors.GONE) and "12" not in found.message
    assert found.line == "instance 12 is not waiting for message 'resume'"        # the log keeps them


def test_a_503_is_logged_as_the_database_unreachable(caplog):
    exc = database_error(OperationalError, "terminating connection due to administrator command", sqlstate="57P01")
    errors.log_unavailable(errors.classify(exc), exc)
    assert caplog.messages == ["database unreachable (answered 503, Retry-After 5 s): "
                               "terminating connection due to administrator command"]


@pytest.mark.parametrize("exc", [
    RuntimeError("a bug"), KeyError("holder"),
    database_error(OperationalError, "no such table: cases"),
    database_error(OperationalError, 'relation "cases" does not exist', sqlstate="42P01"),
])
def test_what_is_not_a_refusal_is_not_classified(exc):
    assert errors.classify(exc) is None


def test_sqlite_waiting_for_the_write_lock_too_long_is_busy_not_a_lost_race(tmp_path):
    """A real "database is locked": another connection holds SQLite's write lock past the wait."""
    database = Database(f"sqlite:///{tmp_path / 'busy.db'}", connect_args={"timeout": 0.1})
    try:
        with database.unit_of_work() as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
        with database.engine.connect() as holder, holder.begin():       # BEGIN IMMEDIATE: the write lock
            with pytest.raises(OperationalError) as raised:
                with database.unit_of_work() as session:
                    session.execute(text("INSERT INTO t VALUES (1)"))
        found = errors.classify(raised.value)
        assert (found.status, found.message, found.retry_after) == (503, errors.BUSY, 2)
        assert not errors.lost_race(raised.value)
    finally:
        database.dispose()
