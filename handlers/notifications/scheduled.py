"""The delivery sweep as a job of the app (the in-process scheduler's and `notifications deliver`'s):
the app's database, clock, gateway and policy, as app.py wired them."""
import logging

from engine.db import get_db

from . import outbox

log = logging.getLogger(__name__)
JOB_ID = "notifications.deliver"


def deliver(app, *, limit=None) -> outbox.DeliveryResult:
    """Send the messages due now through the configured gateway."""
    result = outbox.deliver(get_db(app), app.extensions["citygrid.runtime"].clock,
                            app.extensions["citygrid.notify_gateway"], app.extensions["citygrid.notify_policy"],
                            limit=limit)
    if result.sent or result.failed or result.dead or result.lost:
        log.info("delivery sweep: %s sent, %s failed, %s dead, %s lost", result.sent, result.failed, result.dead,
                 result.lost)
    return result
