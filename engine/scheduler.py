"""The scheduler: APScheduler runs the timer sweep every few seconds, and the other periodic jobs
app.py registers in `app.extensions["citygrid.jobs"]` ((id, fn(), seconds) each) — in one process
at a time, however many run it.

Every process may start a scheduler (`serve`, each gunicorn worker, `timers run`); they share one
lease (engine.lease, named `scheduler`) and only its holder runs the jobs. Each job takes or renews
the lease when it starts, the sweep also after every batch; the lease lasts the sweep interval plus
a margin (CITYGRID_SWEEP_LEASE_SECONDS), so while the holder lives it never lapses, and when the
holder dies another scheduler takes over at its first tick after the lease lapsed: the sweep runs
again within about one interval of when it was due. A scheduler that stops releases the lease, and
another takes over at its next tick. Should two processes ever sweep at once (the lease taken
over from one that was only slow, a `timers sweep` from cron besides), they claim whole instances
and skip each other's (engine.sweep): still exactly once, never a deadlock.
Each sweep's time and result go to `app.extensions["citygrid.sweep_observers"]` (f(seconds, result)
each: the metrics)."""
import logging
import time

from apscheduler.schedulers.background import BackgroundScheduler

from . import lease as leases
from . import sweep as timer_sweep
from .clock import wall_time
from .db import get_db

log = logging.getLogger(__name__)
LEASE = "scheduler"
MARGIN = 2.0        # seconds the lease outlasts one interval: room for a late tick


class Leadership:
    """This process's claim on the scheduler lease."""

    def __init__(self, database, *, seconds, holder=None):
        self.database, self.seconds = database, seconds
        self.holder = holder or f"{timer_sweep.sweeper_name()}:{id(self):x}"
        self.held = False

    def claim(self) -> bool:
        """Take or renew the lease; whether this process may run the jobs now."""
        with self.database.unit_of_work() as session:
            held = leases.acquire(session, LEASE, self.holder, wall_time(session), self.seconds)
        if held != self.held:
            log.info("scheduler %s: %s the lease", self.holder, "took" if held else "lost")
        self.held = held
        return held

    def release(self):
        if self.held:
            with self.database.unit_of_work() as session:
                leases.release(session, LEASE, self.holder)
            self.held = False
            log.info("scheduler %s: released the lease", self.holder)


class Scheduler(BackgroundScheduler):
    """APScheduler's background scheduler that gives up the lease when it shuts down."""

    def __init__(self, leadership, **kwargs):
        super().__init__(**kwargs)
        self.leadership = leadership

    def shutdown(self, wait=True):
        super().shutdown(wait=wait)
        try:
            self.leadership.release()
        except Exception:     # the database may be gone: the lease lapses on its own
            log.exception("scheduler %s: could not release the lease", self.leadership.holder)


def lease_seconds(config):
    """How long the lease lasts: CITYGRID_SWEEP_LEASE_SECONDS, by default the sweep interval plus a margin."""
    given = config.get("CITYGRID_SWEEP_LEASE_SECONDS")
    return float(given) if given else float(config["CITYGRID_SWEEP_SECONDS"]) + MARGIN


def start(app):
    """Start sweeping every CITYGRID_SWEEP_SECONDS, and the registered jobs, while this process
    holds the lease; returns the scheduler (call .shutdown() to stop and release the lease). A job
    that raises is logged by APScheduler and runs again next time."""
    database, runtime = get_db(app), app.extensions["citygrid.runtime"]
    leadership = Leadership(database, seconds=lease_seconds(app.config))

    def sweep():
        if not leadership.claim():
            return
        started = time.perf_counter()
        result = timer_sweep.sweep(database, runtime, by=leadership.holder,
                                   budget=app.config.get("CITYGRID_SWEEP_BATCH_SECONDS", timer_sweep.BUDGET),
                                   processes=app.config.get("CITYGRID_SWEEP_PROCESSES", 1),
                                   on_batch=lambda _result: leadership.claim())
        for observe in app.extensions.get("citygrid.sweep_observers", ()):
            observe(time.perf_counter() - started, result)
        if result.fired or result.conflicts:
            log.info("timer sweep: %s timers fired on %s instances, %s conflicts, %s skipped",
                     result.fired, result.instances, result.conflicts, result.skipped)

    def led(job):
        def run():
            if leadership.claim():
                job()
        return run

    scheduler = Scheduler(leadership, timezone="UTC")
    # One sweep at a time per process; a late one is coalesced, never queued up.
    scheduler.add_job(sweep, "interval", seconds=app.config["CITYGRID_SWEEP_SECONDS"], id="timers.sweep",
                      max_instances=1, coalesce=True)
    for job_id, job, seconds in app.extensions.get("citygrid.jobs", ()):
        scheduler.add_job(led(job), "interval", seconds=seconds, id=job_id, max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
