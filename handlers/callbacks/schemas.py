"""The JSON of a client's callback and of the messages sent to it (the API's, and the OpenAPI
document's), the input that sets a callback, and the query of the deliveries."""
from marshmallow import Schema, fields

from .. import forms
from ..cases.schemas import Instant
from ..notifications.outbox import STATUSES


class CallbackSetSchema(forms.FormSchema):
    """Where the client's results go; a fresh secret the first time, or when asked."""

    url = fields.String(required=True, validate=forms.length(min=1, max=500),
                        metadata={"description": "an absolute http:// or https:// URL", "example":
                                  "https://hotline.example/citygrid"})
    new_secret = fields.Boolean(load_default=False, metadata={"description": "issue a fresh signing secret "
                                                                             "(the first time one always is)"})


class CallbackSchema(Schema):
    """A client's callback. `secret` is there only in the answer that issued it: shown once."""

    client = fields.String()
    channel = fields.String()
    url = fields.String(allow_none=True, metadata={"description": "null: the client has no callback"})
    secret_fingerprint = fields.String(allow_none=True,
                                       metadata={"description": "the first 16 hex digits of the secret's SHA-256"})
    secret = fields.String(metadata={"description": "the signing secret, only in the answer that issued it"})
    set_at = Instant(allow_none=True)
    set_by = fields.String(allow_none=True)
    secret_set_at = Instant(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "the client's messages by delivery state"})


class DeliveryQuerySchema(forms.FormSchema):
    status = fields.String(validate=forms.one_of(list(STATUSES)))
    page = fields.Integer(load_default=1, validate=forms.between(1, 100000))
    per_page = fields.Integer(load_default=50, validate=forms.between(1, 100))


class DeliverySchema(Schema):
    """One message to the client and its delivery state."""

    id = fields.Integer()
    idempotency_key = fields.String()
    event = fields.Function(lambda m: m.payload.get("event"), metadata={"enum": ["filed", "closed", "voided",
                                                                                  "merged"]})
    case_no = fields.Function(lambda m: m.payload.get("case_no"))
    external_ref = fields.Function(lambda m: m.payload.get("external_ref"))
    status = fields.String(metadata={"enum": list(STATUSES)})
    attempts = fields.Integer()
    response_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = Instant()
    next_attempt_at = Instant()
    sent_at = Instant(allow_none=True)
    message = fields.Dict(attribute="payload", metadata={"description": "the body as sent (README: Results back "
                                                                        "to the channels)"})


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()


def callback_json(client, callback, counts, secret=None):
    found = {"client": client.name, "channel": client.channel, "counts": counts,
             **{name: getattr(callback, name, None) for name in ("url", "secret_fingerprint", "set_at", "set_by",
                                                                  "secret_set_at")}}
    if secret:
        found["secret"] = secret
    return CallbackSchema().dump(found)


def page_json(page):
    return DeliveryPageSchema().dump({"items": page.items, "total": page.total, "page": page.page,
                                      "per_page": page.per_page, "pages": page.pages})
