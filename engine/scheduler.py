"""The in-process scheduler: APScheduler runs the timer sweep every few seconds, and the other
periodic jobs app.py registers in `app.extensions["citygrid.jobs"]` ((id, fn(), seconds) each).
Each sweep's time and result go to `app.extensions["citygrid.sweep_observers"]` (f(seconds, result)
each: the metrics)."""
import logging
import time

from apscheduler.schedulers.background import BackgroundScheduler

from . import sweep as timer_sweep
from .db import get_db

log = logging.getLogger(__name__)


def start(app):
    """Start sweeping every CITYGRID_SWEEP_SECONDS, and the registered jobs; returns the scheduler
    (call .shutdown() to stop). A job that raises is logged by APScheduler and runs again next time."""
    database, runtime = get_db(app), app.extensions["citygrid.runtime"]

    def sweep():
        started = time.perf_counter()
        result = timer_sweep.sweep(database, runtime)
        for observe in app.extensions.get("citygrid.sweep_observers", ()):
            observe(time.perf_counter() - started, result)
        if result.fired or result.conflicts:
            log.info("timer sweep: %s timers fired on %s instances, %s conflicts",
                     result.fired, result.instances, result.conflicts)

    scheduler = BackgroundScheduler(timezone="UTC")
    # One sweep at a time per process; a late one is coalesced, never queued up.
    scheduler.add_job(sweep, "interval", seconds=app.config["CITYGRID_SWEEP_SECONDS"], id="timers.sweep",
                      max_instances=1, coalesce=True)
    for job_id, job, seconds in app.extensions.get("citygrid.jobs", ()):
        scheduler.add_job(job, "interval", seconds=seconds, id=job_id, max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
