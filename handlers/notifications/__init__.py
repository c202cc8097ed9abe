"""Notifications: what reaches people when something needs them — the in-app notifications (a
row per recipient, read or unread) and the outbound port to an SMS or app-push gateway (a
transactional outbox swept by a delivery job, with retries, backoff and dead letters).

They are written by an engine listener from what a unit of work just did (the events it appended,
the tasks the worklist just opened, the case row), in the same transaction, once per cause and
recipient. This package tells people; it must not decide anything about cases: who holds a case,
who may complete a task and who may see a case are `cases` and `worklist`'s, asked here, never
re-derived."""
