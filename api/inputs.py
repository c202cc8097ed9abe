"""Reading request input: a JSON object or a multipart form (fields and photos), query strings.

Text is checked here once for what no field may hold (NUL and other control characters, lone
surrogates): PostgreSQL refuses them, and no form needs them. A form's text that was not UTF-8 is
refused too (422), as JSON that is not is.
"""
import json
import re

from flask import request

from handlers.cases import attachments, photos

from .errors import ApiError

BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check_text(value, field):
    if isinstance(value, str):
        if BAD_TEXT.search(value):
            raise ApiError(422, errors={field: ["不能包含控制字符"]})
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(422, errors={field: ["不是合法的 Unicode 文本"]}) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, field or "_schema")
            _check_text(item, f"{field}.{key}" if field else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_text(item, f"{field}.{i}")
    return value


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def is_form():
    """A form body (multipart with files, or url-encoded without) rather than JSON."""
    return (request.mimetype or "") in FORM_TYPES


def read_json():
    """The body as a JSON object; 400 when it is not one."""
    try:
        value = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):
        raise ApiError(400, "请求体不是合法的 JSON") from None
    if not isinstance(value, dict):
        raise ApiError(400, "请求体必须是 JSON 对象")
    return _check_text(value, "")


# Werkzeug decodes a form's fields with errors="replace" and keeps no bytes: U+FFFD is the only
# trace of a field that was not UTF-8, and no form of ours needs the character itself.
UNDECODABLE = "\ufffd"


def read_form(skip=()):
    """A multipart form's fields (the first value of each; empty ones left out, as browsers send
    every input whether filled or not)."""
    values = {key: value for key, value in request.form.items() if value != "" and key not in skip}
    for key, value in values.items():
        if UNDECODABLE in value or UNDECODABLE in key:
            raise ApiError(422, errors={key: ["不是合法的 UTF-8 文本"]})
    return _check_text(values, "")


def read_report():
    """A report's fields and its photos, from JSON (no photos) or a multipart form."""
    if is_form():
        return read_form(), request.files
    return read_json(), None


def read_photos(files, field="photos", *, required=False, max_bytes):
    """The uploaded files of `field` as bytes, each checked (413 too large, 422 not an image).

    The bytes are read up to one past the limit, never more; the client's file name is ignored.
    """
    uploads = [f for f in (files.getlist(field) if files else []) if f.filename]   # an empty file input has none
    if required and not uploads:
        raise ApiError(422, errors={field: ["请上传至少一张照片"]})
    if len(uploads) > photos.MAX_PER_REQUEST:
        raise ApiError(422, errors={field: [f"一次最多上传 {photos.MAX_PER_REQUEST} 张照片"]})
    found = []
    for upload in uploads:
        data = upload.stream.read(max_bytes + 1)
        try:
            photos.check(data, max_bytes)
        except attachments.AttachmentError as exc:
            status = 413 if isinstance(exc, photos.PhotoTooLarge) else 422
            raise ApiError(status, str(exc), errors={field: [str(exc)]}) from None
        found.append(data)
    return found


def query(schema):
    """The query string loaded with `schema` (422 with field messages)."""
    return schema.load(_check_text(request.args.to_dict(), ""))


def request_files():
    return request.files
