"""SQLite's WAL checkpoints off the writers' path: a thread of the process copies the write-ahead
log back into the database file, instead of whichever unit of work's commit happens to cross
SQLite's threshold (1,000 pages by default).

A checkpoint on the commit path made that one commit take 7–50 ms (the log's pages copied and the
file synced while the request waited) and the commits of a persisted step 0.46–0.85 ms on average
against 0.25 ms without it. Here a checkpoint runs every `EVERY` seconds on a connection of its
own, PASSIVE (it waits for no reader and no writer: writers go on appending to the log meanwhile,
and what a reader still needs is left for the next one), and SQLite releases the GIL while it
copies, so it runs on the other core. The commits' own threshold stays, raised to `FALLBACK_PAGES`:
should no checkpointer run (a process forked after it started, a thread that died), the log still
cannot grow without bound.

The thread holds the engine only weakly and ends when the engine is disposed or collected; it
opens its connection for each checkpoint, so it keeps no file open between them.
"""
import logging
import sqlite3
import threading
import weakref

EVERY = 0.5                 # seconds between checkpoints
FALLBACK_PAGES = 16000      # the commits' own threshold (pages of 4 KiB: 64 MiB of log)

log = logging.getLogger(__name__)


class Checkpointer:
    """The checkpoint thread of one SQLite engine (file databases only)."""

    def __init__(self, engine, path, every=EVERY):
        self.path, self.every = path, every
        self.stopped = threading.Event()
        self.checkpoints = 0            # how many ran (tests: that it works at all)
        engine_ref = weakref.ref(engine, lambda _ref: self.stopped.set())
        self.thread = threading.Thread(target=self._run, args=(engine_ref,), name="sqlite-checkpoint", daemon=True)
        self.thread.start()

    def _run(self, engine_ref):
        while not self.stopped.wait(self.every):
            if engine_ref() is None:
                return
            try:
                self.checkpoint()
            except sqlite3.Error as exc:      # the file gone, or locked by a TRUNCATE elsewhere: try again later
                log.debug("WAL checkpoint of %s skipped: %s", self.path, exc)

    def checkpoint(self):
        """One PASSIVE checkpoint; returns SQLite's (busy, frames in the log, frames checkpointed)."""
        connection = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=0, isolation_level=None)
        try:
            row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            connection.close()
        self.checkpoints += 1
        return tuple(row)

    def stop(self):
        self.stopped.set()
        if self.thread is not threading.current_thread():
            self.thread.join(5)


def start(engine):
    """Start checkpointing `engine`'s database file; returns the Checkpointer. Call from the
    engine's first connection: the file and its WAL exist then."""
    return Checkpointer(engine, engine.url.database)
