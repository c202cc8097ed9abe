"""The external clients' callbacks, for admins: read, set (a new secret is in that answer only),
clear, and the messages sent to a client with their delivery state, a dead one queued again."""
from flask import current_app, jsonify

from handlers.callbacks import service
from handlers.callbacks.schemas import (CallbackSchema, CallbackSetSchema, DeliveryPageSchema, DeliveryQuerySchema,
                                        DeliverySchema, callback_json, page_json)
from handlers.notifications import outbox
from handlers.org import capabilities

from .. import context, inputs
from ..auth import USER, caller, requires
from ..blueprint import bp
from ..docs import doc

NOTE = ("Admins only. The messages, their signature and how a receiver verifies them: README, \"Results back to "
        "the channels\". Each is POSTed as JSON with `Idempotency-Key`, `X-Citygrid-Timestamp` and "
        "`X-Citygrid-Signature: sha256=<hex HMAC-SHA256 of '<timestamp>.<body>' keyed with the client's secret>`.")


def _client(name):
    capabilities.require(caller().user, "administer", "只有系统管理员可以管理回调")
    return service.client_named(context.session(), name)


def _answer(client, secret=None):
    session = context.session()
    return jsonify(callback_json(client, service.get(session, client), outbox.counts(session, client_id=client.id),
                                 secret))


@bp.get("/clients/<name>/callback")
@doc("A client's callback (URL, secret fingerprint) and its messages' counts", tags=["callbacks"], description=NOTE,
     responses={200: CallbackSchema})
@requires(USER)
def show_callback(name):
    return _answer(_client(name))


@bp.put("/clients/<name>/callback")
@doc("Set a client's callback URL (a new secret the first time or with new_secret: in this answer only)",
     tags=["callbacks"], description=NOTE, json=CallbackSetSchema, responses={200: CallbackSchema})
@requires(USER)
def set_callback(name):
    client = _client(name)
    data = CallbackSetSchema().load(inputs.read_json())
    _, secret = service.set_callback(context.session(), current_app.extensions["citygrid.callback_cipher"],
                                     name=client.name, url=data["url"], at=context.now(),
                                     actor=caller().user.username, new_secret=data["new_secret"])
    return _answer(client, secret)


@bp.delete("/clients/<name>/callback")
@doc("Remove a client's callback: no further messages", tags=["callbacks"], description=NOTE,
     responses={200: CallbackSchema})
@requires(USER)
def clear_callback(name):
    client = _client(name)
    service.clear_callback(context.session(), name=client.name, at=context.now(), actor=caller().user.username)
    return _answer(client)


@bp.get("/clients/<name>/callbacks")
@doc("The messages sent (or to be sent) to a client, newest first, with their delivery state", tags=["callbacks"],
     description=NOTE, query=DeliveryQuerySchema, responses={200: DeliveryPageSchema})
@requires(USER)
def list_callbacks(name):
    client = _client(name)
    query = inputs.query(DeliveryQuerySchema())
    return jsonify(page_json(service.deliveries(context.session(), client, status=query.get("status"),
                                                page=query["page"], per_page=query["per_page"])))


@bp.post("/clients/<name>/callbacks/<int:message_id>/retry")
@doc("Queue a dead message to a client again, due now, with a fresh round of attempts", tags=["callbacks"],
     description=NOTE, responses={200: DeliverySchema}, errors=(409,))
@requires(USER)
def retry_callback(name, message_id):
    client = _client(name)
    return jsonify(DeliverySchema().dump(service.retry(context.session(), client, message_id, context.now())))
