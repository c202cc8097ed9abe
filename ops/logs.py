"""Log lines as JSON, one object a line: `ts` (UTC), `level`, `logger`, `message`, the request id of
the request being served (if any), the process id, and whatever fields a caller passed as
`extra={"fields": {...}}` (the request log's). gunicorn's configuration (deploy/gunicorn.conf.py)
uses this formatter for every logger; the request log always does."""
import json
import logging
import os
import sys
from datetime import datetime, timezone

from flask import g, has_request_context


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "pid": os.getpid()}
        request_id = g.get("request_id") if has_request_context() else None
        if request_id:
            line["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """A stream handler on whatever sys.stderr is when it writes (not when it was made)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass
