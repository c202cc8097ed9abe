"""Results back to the channels: an external client (the 12345 hotline, 110, the WeChat or web
portal) may have a callback URL, and then hears, as a signed JSON message, when a case it reported
is filed, closed, voided or merged — the originating system closes the matter for the citizen only
when it hears the result.

This package owns each client's callback (URL and signing secret, kept encrypted), the engine
listener that writes the messages in the same transaction as the step that causes them, and the
sender that signs and posts them. Delivery itself — outbox rows, claims, retries with backoff, dead
letters, the delivery sweep — is `notifications.outbox`'s, shared with the SMS/push messages: a
callback is an outbox message of kind `callback`. It decides nothing about cases: it reads the case
row that `cases.summary` has just brought up to date."""
