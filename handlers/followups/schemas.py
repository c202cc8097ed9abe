"""The JSON of a case's 回访 (the API's and the OpenAPI document's)."""
from marshmallow import Schema, fields

from ..cases.schemas import Instant
from .service import RATINGS


class FollowUpJSONSchema(Schema):
    case_no = fields.String()
    rating = fields.String(metadata={"enum": list(RATINGS)})
    rating_label = fields.Function(lambda row: RATINGS[row["rating"]], metadata={"description": "满意, 基本满意, 不满意"})
    note = fields.String()
    by = fields.String(attribute="actor")
    at = Instant()


def _fields(case, row):
    return None if row is None else {"case_no": case.case_no, "rating": row.rating, "note": row.note,
                                     "actor": row.actor, "at": row.at}


def follow_up_json(case, row):
    """The follow-up as the API gives it."""
    return FollowUpJSONSchema().dump(_fields(case, row))


class FollowUpStateSchema(Schema):
    """A case's 回访 as the caller finds it."""

    follow_up = fields.Nested(FollowUpJSONSchema, allow_none=True, metadata={"description": "null: none recorded"})
    awaited = fields.Boolean(metadata={"description": "a closed hotline case (12345, 110): it takes one"})
    may_record = fields.Boolean(metadata={"description": "the caller may record it now"})


def state_json(case, row, *, awaited, may_record):
    """A case's 回访 for the caller: the follow-up (None: none), whether the case takes one, whether they may record it."""
    return FollowUpStateSchema().dump({"follow_up": _fields(case, row), "awaited": awaited, "may_record": may_record})
