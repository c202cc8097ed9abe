"""A long-running process settles once it has built its app: it loads what every request will need
(the current deployments' specs) and then takes everything alive out of the garbage collector's
sight (`gc.freeze`), so that its collections traverse only what requests and sweeps made since.

Python's cycle collector now and then traverses every tracked object of the process (a full
collection). A built app is about 170,000 of them (modules, SQLAlchemy's mappings, the specs), none
of which ever becomes garbage; a full collection over them took 50 ms, and in the persisted
lifecycle bench the two full collections of 100 cases 86 ms each (1.7 ms a case) — a pause inside
whichever request or step happened to allocate at that moment. Frozen, they are never traversed
again: reference counting still frees any of them that is dropped; only a frozen object left in a
reference cycle would never be found (a spec replaced by a new deployment), which bounds what it
can cost by what the process held when it settled (and gunicorn replaces its workers every
CITYGRID_MAX_REQUESTS requests).

Called by gunicorn's workers (deploy/gunicorn.conf.py `post_worker_init`), by `serve`'s development
server and by `timers run`, each once its app is built; the benches that stand for a served process
call it where the process would."""
import gc
import logging

from sqlalchemy.exc import DBAPIError, TimeoutError as PoolTimeout

from . import deployments
from .db import get_db

log = logging.getLogger(__name__)


def settle(app):
    """Warm `app`'s process-wide caches, collect once, then freeze what is alive. Returns how many
    objects were frozen. A database that cannot be read now only leaves the specs for the first
    request to load."""
    runtime = app.extensions["citygrid.runtime"]
    try:
        with get_db(app).reading() as session:
            for deployment in deployments.currents(session, runtime).values():
                runtime.specs(deployment)
    except (DBAPIError, PoolTimeout) as exc:
        log.warning("settling without the specs: the database answered %s", exc)
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("settled: %d objects out of the collector's sight", frozen)
    return frozen
