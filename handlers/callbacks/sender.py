"""The gateway of kind `callback` (the delivery sweep's `Router` sends these messages here): each
message to its client's callback URL as it is now, signed with the client's secret, by the same
signed POST as the notifications' webhook (`notifications.gateways.post_signed`). A client whose
callback was removed, or whose secret cannot be read, fails the attempt with that reason (retried,
then a dead letter), never silently."""
from datetime import datetime

from ..notifications.gateways import DeliveryFailed, Delivered, Outgoing, no_redirects_opener, post_signed
from . import service, signing


class CallbackSender:
    name = "callback"

    def __init__(self, db, cipher: signing.Cipher, *, timeout: float = 10):
        self.db, self.cipher, self.timeout = db, cipher, timeout
        self._opener = no_redirects_opener()

    def send(self, message: Outgoing, *, now: datetime) -> Delivered:
        try:
            with self.db.reading() as session:
                found = service.target(session, self.cipher, message.client_id)
        except signing.Unreadable as exc:
            raise DeliveryFailed(str(exc)) from None
        if found is None:
            raise DeliveryFailed(f"client {message.recipient} has no callback any more")
        return post_signed(self._opener, found.url, found.secret, message, now=now, timeout=self.timeout)
