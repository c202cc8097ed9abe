"""A client's callback as admins manage it: set (a URL and, the first time or when asked, a fresh
secret shown only then), clear, read, and the messages sent to it with their delivery state. Every
change is an event on the system chain (who, which client, the URL and the secret's fingerprint
before and after; never the secret)."""
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select

from engine import events, instances

from ..errors import Invalid
from ..notifications import outbox
from ..notifications.models import OutboxMessage
from ..org import tokens
from ..paging import Page
from . import signing
from .models import ClientCallback

KIND = "callback"          # the outbox kind of a result sent back to a channel


class CallbackError(Invalid):
    """A callback that cannot be set as asked (422, on its field)."""


@dataclass(frozen=True)
class Target:
    """Where one client's messages go, for the sender."""

    url: str
    secret: str


def client_named(session, name):
    """The client of that name; instances.NotFound (404) when there is none."""
    client = tokens.get_client_by_name(session, name) if isinstance(name, str) else None
    if client is None:
        raise instances.NotFound(f"没有接入系统 {name}")
    return client


def get(session, client) -> ClientCallback | None:
    """The client's callback, or None."""
    return session.get(ClientCallback, client.id)


def check_url(url):
    """An absolute http(s) URL of at most 500 characters; CallbackError on `url` otherwise."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500 or any(
            c.isspace() or ord(c) < 32 for c in url):
        raise CallbackError("回调地址须为 http:// 或 https:// 开头的完整网址（至多 500 字符）", "url")
    return url


def _state(callback):
    return {"url": callback.url, "secret_fingerprint": callback.secret_fingerprint} if callback else None


def set_callback(session, cipher, *, name, url, at, actor, new_secret=False):
    """Set client `name`'s callback URL; a fresh secret the first time or with `new_secret`.
    Returns (callback, the new secret or None): the secret is shown only now. Raises NotFound
    (404) for an unknown client, CallbackError (422) for a bad URL or a revoked client."""
    client = client_named(session, name)
    if not client.active:
        raise CallbackError(f"接入系统 {name} 已停用", "name")
    url = check_url(url)
    callback = get(session, client)
    before = _state(callback)
    secret = signing.new_secret() if callback is None or new_secret else None
    if callback is None:
        callback = ClientCallback(client_id=client.id)
        session.add(callback)
    callback.url, callback.set_at, callback.set_by = url, at, actor
    if secret is not None:
        callback.secret_encrypted, callback.secret_fingerprint = cipher.encrypt(secret), signing.fingerprint(secret)
        callback.secret_set_at = at
    session.flush()
    events.append(session, stream=events.SYSTEM, kind="callback_set", at=at, actor=actor,
                  data={"client": client.name, "before": before, "after": _state(callback),
                        "new_secret": secret is not None})
    return callback, secret


def clear_callback(session, *, name, at, actor):
    """Remove client `name`'s callback: no further messages are written for it (those queued fail
    and end in its dead letters). Returns whether there was one. NotFound (404) for an unknown client."""
    client = client_named(session, name)
    callback = get(session, client)
    if callback is None:
        return False
    events.append(session, stream=events.SYSTEM, kind="callback_cleared", at=at, actor=actor,
                  data={"client": client.name, "before": _state(callback), "after": None})
    session.delete(callback)
    session.flush()
    return True


def target(session, cipher, client_id) -> Target | None:
    """Where a client's message goes now (None: it has no callback any more); signing.Unreadable
    when its secret cannot be decrypted."""
    callback = session.get(ClientCallback, client_id)
    return Target(callback.url, cipher.decrypt(callback.secret_encrypted)) if callback else None


def deliveries(session, client, *, status=None, page=1, per_page=50) -> Page:
    """The messages sent (or to be sent) to the client, newest first, each with its delivery state."""
    where = [OutboxMessage.client_id == client.id, OutboxMessage.kind == KIND]
    if status is not None:
        where.append(OutboxMessage.status == status)
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(*where))
    rows = session.scalars(select(OutboxMessage).where(*where).order_by(OutboxMessage.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return Page(list(rows), total, page, per_page)


def retry(session, client, message_id, now):
    """Put one of the client's dead messages back in the queue, due now; NotFound (404) for another's."""
    message = session.get(OutboxMessage, message_id) if 0 < message_id < 2**31 else None
    if message is None or message.client_id != client.id:
        raise instances.NotFound(f"没有消息 {message_id}")
    return outbox.retry(session, message_id, now)
