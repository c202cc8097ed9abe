"""The outbound port: what an SMS or app-push gateway must do (`send` one message, or raise
`DeliveryFailed`), a logging gateway (the default: nothing leaves the machine) and an HTTP webhook.

The webhook POSTs the message as JSON with three headers: `Idempotency-Key` (the same on every
attempt of one message: the receiver drops repeats by it), `X-Citygrid-Timestamp` (Unix seconds on
the project's clock) and `X-Citygrid-Signature: sha256=<hex>`, the HMAC-SHA256 with the shared
secret of `<timestamp>.<body>` (the exact bytes sent), so the receiver can check both who sent it
and that it is not an old one replayed. `post_signed` is that POST, shared with the results sent back
to the channels (`callbacks.sender`), and `Router` sends each message through the gateway of its kind."""
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

log = logging.getLogger(__name__)

SIGNATURE_HEADER, TIMESTAMP_HEADER, KEY_HEADER = "X-Citygrid-Signature", "X-Citygrid-Timestamp", "Idempotency-Key"


@dataclass(frozen=True)
class Outgoing:
    """One message as a gateway sends it."""

    idempotency_key: str
    recipient: str
    payload: dict
    kind: str = ""
    client_id: int | None = None     # a callback's receiver (`callbacks`)


@dataclass(frozen=True)
class Delivered:
    response_code: int | None = None


class DeliveryFailed(Exception):
    """The gateway did not take the message (it will be tried again); `response_code` if it answered."""

    def __init__(self, message, response_code=None):
        super().__init__(message)
        self.response_code = response_code


class Gateway(Protocol):
    """The port: take one message or raise DeliveryFailed (it is then tried again later)."""

    name: str

    def send(self, message: Outgoing, *, now: datetime) -> Delivered:
        ...


class LoggingGateway:
    """Writes each message to the log and takes it: the default, for demos and development."""

    name = "log"

    def send(self, message: Outgoing, *, now: datetime) -> Delivered:
        log.info("notification to %s [%s]: %s", message.recipient, message.idempotency_key,
                 message.payload.get("text"))
        return Delivered()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: followed, a POST would become a GET."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def encode(payload) -> bytes:
    """The body as sent: compact JSON, keys sorted, UTF-8 (the signature covers exactly these bytes)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def post_signed(opener, url, secret, message: Outgoing, *, now: datetime, timeout: float) -> Delivered:
    """POST the message's payload to `url`, signed with `secret`; any 2xx takes it, anything else
    (a redirect, an error, no answer within `timeout`) raises DeliveryFailed."""
    body = encode(message.payload)
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", KEY_HEADER: message.idempotency_key,
        TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)})
    try:
        with opener.open(request, timeout=timeout) as response:
            if not 200 <= response.status < 300:
                raise DeliveryFailed(f"HTTP {response.status}", response.status)
            return Delivered(response.status)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code} {exc.reason}", exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from None


def no_redirects_opener():
    return urllib.request.build_opener(_NoRedirects)


class WebhookGateway:
    """POSTs each message to one URL, signed; any 2xx answer takes it, anything else fails."""

    name = "webhook"

    def __init__(self, url: str, secret: str, *, timeout: float = 10):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the webhook URL must be http(s): {url!r}")
        if not secret:
            raise ValueError("the webhook needs a secret to sign with (CITYGRID_NOTIFY_WEBHOOK_SECRET)")
        self.url, self.secret, self.timeout = url, secret, timeout
        self._opener = no_redirects_opener()

    def send(self, message: Outgoing, *, now: datetime) -> Delivered:
        return post_signed(self._opener, self.url, self.secret, message, now=now, timeout=self.timeout)


class Router:
    """The gateway the delivery sweep sends through: each message by its kind to the gateway that
    takes that kind (the results back to the channels), the others to the notifications' own."""

    def __init__(self, default: Gateway, by_kind: dict):
        self.default, self.by_kind = default, by_kind
        self.name = default.name

    def send(self, message: Outgoing, *, now: datetime) -> Delivered:
        return self.by_kind.get(message.kind, self.default).send(message, now=now)


def from_config(config) -> Gateway:
    """The gateway the configuration names (CITYGRID_NOTIFY_GATEWAY: log or webhook); ValueError
    for an unknown one or a webhook without its URL or secret."""
    kind = config.get("CITYGRID_NOTIFY_GATEWAY", "log")
    if kind == "log":
        return LoggingGateway()
    if kind == "webhook":
        return WebhookGateway(config.get("CITYGRID_NOTIFY_WEBHOOK_URL") or "",
                              config.get("CITYGRID_NOTIFY_WEBHOOK_SECRET") or "",
                              timeout=float(config.get("CITYGRID_NOTIFY_TIMEOUT_SECONDS", 10)))
    raise ValueError(f"CITYGRID_NOTIFY_GATEWAY must be 'log' or 'webhook', not {kind!r}")
