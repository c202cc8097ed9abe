"""handlers.errors: the one table from a refusal to its status, message and field messages (the API
answers it as JSON, the web as a page, the CLI as one line); what is not a refusal is not classified."""
import sqlite3

import pytest
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

from engine import instances
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
    (instances.Conflict("instance 3 was changed"), 409, {}, "instance 3 was changed"),
    (database_error(IntegrityError, "UNIQUE constraint failed: cases.case_no"), 409, {}, errors.LOST_RACE),
    (database_error(OperationalError, "database is locked"), 503, {}, errors.BUSY),     # busy, not a conflict
    (database_error(OperationalError, "deadlock detected", sqlstate="40P01"), 409, {}, errors.LOST_RACE),
])
def test_each_refusal_has_its_status_and_field_messages(exc, status, errors_, line):
    found = errors.classify(exc)
    assert (found.status, found.errors, found.line) == (status, errors_, line)
    assert isinstance(exc, errors.REFUSALS)


@pytest.mark.parametrize("exc", [
    RuntimeError("a bug"), KeyError("holder"),
    database_error(OperationalError, "no such table: cases"),
])
def test_what_is_not_a_refusal_is_not_classified(exc):
    assert errors.classify(exc) is None
