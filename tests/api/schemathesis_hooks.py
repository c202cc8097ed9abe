"""Schemathesis hooks for the API's run (`SCHEMATHESIS_HOOKS=tests.api.schemathesis_hooks`): the
units and cameras a schema-valid request names are real ones, as a real client's are.

The document states the form of a unit code; whether a unit exists is the org tree's data, which no
schema says. So in the positive cases (those that must be accepted) a generated community, grid,
unit filter or camera code is swapped for one of the test city's (the file named by
`CITYGRID_ST_CODES`: {"community": [...], "grid": [...], "unit": [...], "camera": [...]}), picked
by the generated value so the run stays reproducible. Negative cases are left as generated.
Likewise a positive case's photos are real images (the document says JPEG, PNG or WebP by the
multipart encoding, which schemathesis fills with random bytes), and a list's `after` is a cursor
of the kind the list gives (the document calls it opaque text: any other is 422, as documented)."""
import json
import os
import zlib
from datetime import datetime, timedelta, timezone

import schemathesis
from schemathesis.generation import GenerationMode

from handlers.paging import Cursor
from tests.api.httpapi import jpeg, png

IMAGES = (jpeg(), png())
FILES = ("photos", "snapshot")

CODES = json.loads(open(os.environ["CITYGRID_ST_CODES"], encoding="utf-8").read())
# Which part of a request names which kind of code, per operation
SWAPS = {"POST /api/v1/cases": ("body", ("community", "grid")), "POST /api/v1/cases/{case_no}/photos": ("body", ()),
         "POST /api/v1/intake/{channel}": ("body", ("community", "grid")),
         "POST /api/v1/intake/video": ("body", ("camera",)), "GET /api/v1/cases": ("query", ("unit", "area"))}
KIND = {"area": "unit"}


def _real(kind, generated):
    choices = CODES[KIND.get(kind, kind)]
    return choices[zlib.crc32(str(generated).encode()) % len(choices)]


def _cursor(generated):
    """A cursor as a page of the list would end: a page number, an instant, a case id."""
    n = zlib.crc32(str(generated).encode())
    at = datetime(2026, 3, 2, tzinfo=timezone.utc) + timedelta(minutes=n % 100_000)
    return Cursor(page=1 + n % 50, at=at, id=1 + n % 1000).encode()


@schemathesis.hook
def map_case(context, case):
    swap = SWAPS.get(context.operation.label if context.operation else None)
    if swap is None or case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return case
    part, names = swap
    values = getattr(case, part)
    if isinstance(values, dict):
        for name in names:
            if values.get(name):             # given (not null, not empty): a real one of its kind
                values[name] = _real(name, values[name])
        if values.get("after"):
            values["after"] = _cursor(values["after"])
    if isinstance(case.body, dict):
        for name in FILES:
            if isinstance(case.body.get(name), list):
                case.body[name] = [IMAGES[i % 2] for i in range(len(case.body[name]))]
            elif name in case.body:
                case.body[name] = IMAGES[0]
    return case
