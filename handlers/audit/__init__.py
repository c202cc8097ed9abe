"""Audit: whether a case's history is intact and its derived rows true. A case's events form a
hash chain (an edited, inserted or deleted event is detected); replaying its recorded inputs on
its recorded versions must give its stored state. What auditors read (`trail`) and the checks
(`verify`) live here.

Nothing here writes: replays run on a simulated clock in a read-only unit of work."""
