"""Helper processes for work that wants more than one core (the timer sweep on PostgreSQL): each is
forked from the calling thread, so it starts in milliseconds with the caller's state (specs,
services, listeners: nothing to pickle), runs one function and sends its answer back by a pipe.

Forking a process that runs other threads: the child has only the forking thread, so a lock that
another thread held at that instant stays taken in the child. What a helper must not share it
makes afresh (`Runtime.after_fork`: its own locks and workflow cache; `engine.dispose(close=False)`:
connections of its own, its parent's left untouched), and it ends with os._exit, so no finalizer of
an inherited object runs. Should a helper hang anyway (someone else's lock), its caller ends it once it has given no
sign of life for `stall` seconds; what it had not committed is rolled back with its connection.
"""
import logging
import multiprocessing
import os
import time

log = logging.getLogger(__name__)
_FORK = multiprocessing.get_context("fork")


class Helper:
    """One helper process running `work(alive, stopped, *args)`: `alive()` is its sign of life
    (call it at least every `stall` seconds), `stopped()` tells it to end early; what it returns
    (picklable) is the answer `wait` gives."""

    def __init__(self, work, *args):
        self._answers, child_end = _FORK.Pipe(duplex=False)
        self._stop = _FORK.Event()
        self.process = _FORK.Process(target=_run, args=(work, child_end, self._stop, args), daemon=True)
        self.process.start()
        child_end.close()

    def stop(self):
        self._stop.set()

    def wait(self, stall):
        """The helper's answer, or None when it failed or gave no sign of life for `stall` seconds
        (it is then ended)."""
        answer = None
        try:
            while self._answers.poll(stall):
                kind, value = self._answers.recv()
                if kind == "answer":
                    answer = value
                    break
        except EOFError:          # it died without answering
            pass
        self.process.join(stall if answer is not None else 1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self._answers.close()
        return answer


def _run(work, answers, stop, args):
    code = 1
    last = [0.0]

    def alive():      # at most once a second: the parent reads them only when it waits
        if time.monotonic() - last[0] >= 1:
            answers.send(("alive", None))
            last[0] = time.monotonic()
    try:
        answers.send(("answer", work(alive, stop.is_set, *args)))
        code = 0
    except BaseException:
        log.exception("helper process %s failed", os.getpid())
    finally:
        answers.close()
        os._exit(code)   # no finalizers, no atexit: the parent's objects are the parent's
