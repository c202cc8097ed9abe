"""The transactional outbox of the outbound gateway: a message row is written in the same
transaction as its notification (so none is lost when the gateway is down, and none exists for a
notification that was rolled back); the delivery sweep sends what is due, retries failures with
exponential backoff on the project's clock and, after `max_attempts`, moves a message to the dead
letters, which an admin can retry. The same rows, claims and retries carry the results sent back
to the channels (kind `callback`, with the client instead of a notification: `callbacks`).

Sending happens outside any transaction (a slow gateway never holds a lock): a message is first
claimed in a short unit of work — status `sending`, one attempt more, and a lease (its next attempt
pushed past the time a send may take) — then sent, then its result recorded in another. Every change
of state is version-checked and PostgreSQL claims with FOR UPDATE SKIP LOCKED, so two sweepers never
send one message at once; a sweeper that dies after sending but before recording leaves the message
to be sent again once its lease ends, with the same idempotency key, which the receiver drops."""
import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm.exc import StaleDataError

from engine import instances

from .. import localtime
from ..paging import Page
from ..errors import Refusal
from .gateways import DeliveryFailed, Outgoing
from .models import Notification, OutboxAttempt, OutboxMessage
from .notices import KINDS

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
STATUSES = (PENDING, SENDING, SENT, DEAD)
MAX_BACKOFF = timedelta(hours=1)
DEFAULT_KINDS = ("overdue", "supervision")


class NotDead(Refusal):
    """Only a dead letter can be retried (409)."""

    status = 409


@dataclass(frozen=True)
class Policy:
    """What goes out and how it is retried (from the configuration, see `from_config`)."""

    kinds: frozenset = frozenset(DEFAULT_KINDS)   # the notification kinds that go out (callbacks always do)
    max_attempts: int = 8
    retry_seconds: float = 60
    lease_seconds: float = 120      # longer than one send may take (the gateway's timeout)

    def backoff(self, attempts):
        """The wait after the `attempts`-th failure: retry_seconds, doubled each time, at most an hour."""
        return min(timedelta(seconds=self.retry_seconds * 2 ** (attempts - 1)), MAX_BACKOFF)


def parse_kinds(text):
    """CITYGRID_NOTIFY_OUTBOUND: kinds separated by commas, `all`, or empty for none."""
    text = (text or "").strip()
    if text == "all":
        return frozenset(KINDS)
    kinds = frozenset(k.strip() for k in text.split(",") if k.strip())
    unknown = kinds - set(KINDS)
    if unknown:
        raise ValueError(f"CITYGRID_NOTIFY_OUTBOUND: unknown kinds {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(KINDS)})")
    return kinds


def policy_from_config(config):
    timeout = float(config.get("CITYGRID_NOTIFY_TIMEOUT_SECONDS", 10))
    return Policy(kinds=parse_kinds(config.get("CITYGRID_NOTIFY_OUTBOUND", ",".join(DEFAULT_KINDS))),
                  max_attempts=int(config.get("CITYGRID_NOTIFY_MAX_ATTEMPTS", 8)),
                  retry_seconds=float(config.get("CITYGRID_NOTIFY_RETRY_SECONDS", 60)),
                  lease_seconds=timeout + 60)


def idempotency_key(source, user_id):
    """The same for every attempt of one notification's message (and stable if it were ever re-queued)."""
    return hashlib.sha256(f"{source}|{user_id}".encode()).hexdigest()


def payload_of(row, user, directory, link):
    """What the gateway receives for one notification (`row`: its column values)."""
    return {"id": idempotency_key(row["source"], row["user_id"]), "kind": row["kind"], "kind_label": KINDS[row["kind"]],
            "case_no": row["case_no"], "text": row["text"], "link": link,
            "created_at": localtime.isoformat(row["created_at"]),
            "recipient": {"username": user.username, "display_name": user.display_name or "", "role": user.role,
                          "unit": user.unit_code, "unit_name": directory.name(user.unit_code)}}


def queue(session, rows, *, users, directory, link_of):
    """Outbox rows for notifications just inserted (`rows`: their column values with `id`), in the
    caller's transaction, due at once."""
    if not rows:
        return
    session.connection().execute(insert(OutboxMessage.__table__), [
        dict(notification_id=row["id"], idempotency_key=idempotency_key(row["source"], row["user_id"]),
             kind=row["kind"], recipient=users[row["user_id"]].username,
             payload=payload_of(row, users[row["user_id"]], directory, link_of(row)), status=PENDING,
             attempts=0, next_attempt_at=row["created_at"], created_at=row["created_at"], version=1)
        for row in rows])


# --- delivery -------------------------------------------------------------------------------------

@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0      # to be tried again later
    dead: int = 0        # moved to the dead letters by this sweep
    lost: int = 0        # sent or failed, but another sweeper took the message over meanwhile


@dataclass(frozen=True)
class Claim:
    id: int
    version: int
    message: Outgoing


def claim_one(session, now, policy):
    """Claim the next due message (or None): `sending`, one attempt more, leased."""
    query = (select(OutboxMessage).where(OutboxMessage.status.in_((PENDING, SENDING)),
                                         OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    message = session.scalars(query).first()
    if message is None:
        return None
    message.status, message.attempts = SENDING, message.attempts + 1
    message.next_attempt_at = now + timedelta(seconds=policy.lease_seconds)
    session.flush()     # version-checked: StaleDataError if another sweeper changed it meanwhile
    return Claim(message.id, message.version, Outgoing(message.idempotency_key, message.recipient, message.payload,
                                                       kind=message.kind, client_id=message.client_id))


def record(session, claim, now, policy, *, response_code=None, error=None):
    """Record the result of a claimed send; returns the new status, or None when the claim was lost
    (another sweeper took the message over after its lease ran out)."""
    message = session.get(OutboxMessage, claim.id)
    if message is None or message.version != claim.version or message.status != SENDING:
        return None
    session.add(OutboxAttempt(message_id=message.id, at=now, ok=error is None, response_code=response_code,
                              error=error))
    message.response_code = response_code
    if error is None:
        message.status, message.sent_at, message.last_error = SENT, now, None
    else:
        message.last_error = error[:2000]
        if message.attempts >= policy.max_attempts:
            message.status = DEAD
        else:
            message.status, message.next_attempt_at = PENDING, now + policy.backoff(message.attempts)
    session.flush()
    return message.status


def deliver(db, clock, gateway, policy, *, limit=None) -> DeliveryResult:
    """One delivery sweep: send every message due at the clock's now (at most `limit`), one claim,
    send and record at a time."""
    result = DeliveryResult()
    while limit is None or result.sent + result.failed + result.dead + result.lost < limit:
        try:
            with db.unit_of_work() as session:
                clock.sync(session)
                now = clock.now()
                claim = claim_one(session, now, policy)
        except StaleDataError:
            continue            # another sweeper claimed it first: take the next
        if claim is None:
            return result
        response_code, error = None, None
        try:
            response_code = gateway.send(claim.message, now=now).response_code
        except DeliveryFailed as exc:
            response_code, error = exc.response_code, str(exc) or type(exc).__name__
        try:
            with db.unit_of_work() as session:
                clock.sync(session)
                status = record(session, claim, clock.now(), policy, response_code=response_code, error=error)
        except StaleDataError:
            status = None
        if status is None:
            result.lost += 1
            log.warning("outbox message %s: its claim was taken over before the result was recorded", claim.id)
        elif status == SENT:
            result.sent += 1
        elif status == DEAD:
            result.dead += 1
            log.warning("outbox message %s is a dead letter after %s attempts: %s", claim.id, policy.max_attempts,
                        error)
        else:
            result.failed += 1
    return result


# --- dead letters ---------------------------------------------------------------------------------


def dead_letters(session, *, page=1, per_page=50) -> Page:
    """The dead letters of notifications, most recent first, with their notification (a callback's
    are listed with its client's deliveries, `callbacks.service.deliveries`)."""
    where = OutboxMessage.status == DEAD
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(where))
    rows = session.execute(select(OutboxMessage, Notification).join(Notification, Notification.id ==
                                                                     OutboxMessage.notification_id)
                           .where(where).order_by(OutboxMessage.id.desc())
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return Page([(m, n) for m, n in rows], total, page, per_page)


def attempts_of(session, message_id):
    return list(session.scalars(select(OutboxAttempt).where(OutboxAttempt.message_id == message_id)
                                .order_by(OutboxAttempt.id)))


def retry(session, message_id, now):
    """Put a dead letter back in the queue, due now, with a fresh round of attempts (its earlier
    attempts stay recorded). Raises NotDead (409) for any other message, instances.NotFound (404)."""
    message = session.get(OutboxMessage, message_id) if 0 < message_id < 2**31 else None
    if message is None:
        raise instances.NotFound(f"没有消息 {message_id}")
    if message.status != DEAD:
        raise NotDead(f"消息 {message_id} 不是死信（{message.status}）")
    message.status, message.attempts, message.next_attempt_at = PENDING, 0, now
    session.flush()
    return message


def retry_all(session, now, *, client_id=None):
    """Every dead letter of notifications (or of one client's callbacks) back in the queue; returns how many."""
    ids = list(session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == DEAD, _owned_by(client_id))))
    for message_id in ids:
        retry(session, message_id, now)
    return len(ids)


def _owned_by(client_id):
    """The messages of notifications, or those of one client's callbacks."""
    return OutboxMessage.notification_id.is_not(None) if client_id is None else OutboxMessage.client_id == client_id


def counts(session, *, client_id=None):
    """{status: number of messages} of notifications (or of one client's callbacks)."""
    rows = session.execute(select(OutboxMessage.status, func.count()).where(_owned_by(client_id))
                           .group_by(OutboxMessage.status))
    return {status: 0 for status in STATUSES} | {status: n for status, n in rows}
