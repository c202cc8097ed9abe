"""Prometheus metrics (prometheus-client), served at /metrics.

Counted as they happen, in the process they happen in:
- `citygrid_request_duration_seconds{route, method, status}`: a histogram of the time to answer, by
  URL rule (`/cases/<case_no>`, never the raw path: one series per route, however many cases);
- `citygrid_timer_sweep_duration_seconds` and `citygrid_timers_fired_total`: each in-process sweep.
Under gunicorn these use prometheus-client's multiprocess mode: deploy/gunicorn.conf.py points
PROMETHEUS_MULTIPROC_DIR at a folder of its own before any worker starts, every worker writes its
values there, and a scrape of any worker adds up all of them.

Computed at scrape time from indexed queries, so every worker answers the same and nothing is kept
beside the tables: `citygrid_timers_due`, `citygrid_timer_lag_seconds` (now − the oldest due timer
not fired yet; 0 when none is due), `citygrid_cases_open{status}`, `citygrid_cases_overdue`, and
`citygrid_database_up` (0 when those queries failed).

Readable from the machine itself (a loopback address, after the proxy's forwarded address is
applied: see CITYGRID_PROXY_HOPS) or with `Authorization: Bearer <CITYGRID_METRICS_TOKEN>`."""
import hmac
import ipaddress
import logging
import os

from flask import current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from engine import timers
from engine.db import get_db
from handlers.cases import counts

log = logging.getLogger(__name__)

REQUEST_DURATION = Histogram(
    "citygrid_request_duration_seconds", "Time to answer a request, by route (URL rule), method and status",
    ["route", "method", "status"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
SWEEP_DURATION = Histogram(
    "citygrid_timer_sweep_duration_seconds", "Time one timer sweep took (the in-process sweeps of this host)",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
TIMERS_FIRED = Counter("citygrid_timers_fired_total", "Timers fired by the in-process sweeps of this host")


def observe_request(route, method, status, seconds):
    REQUEST_DURATION.labels(route or "<unmatched>", method, str(status)).observe(seconds)


def observe_sweep(seconds, result):
    """For the sweeper (`citygrid.sweep_observers`): one sweep's time and what it fired."""
    SWEEP_DURATION.observe(seconds)
    TIMERS_FIRED.inc(result.fired)


class StateCollector:
    """The gauges read from the database at scrape time."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        up = GaugeMetricFamily("citygrid_database_up", "1 when the database answered this scrape's queries")
        try:
            runtime = self.app.extensions["citygrid.runtime"]
            with get_db(self.app).reading() as session:
                runtime.clock.sync(session)
                now = runtime.clock.now()
                due, oldest = timers.due_summary(session, now)
                by_status = counts.open_by_status(session)
                overdue = counts.overdue_open(session, now)
        except Exception:   # a scrape still answers while the database is away
            log.exception("metrics: the database did not answer")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("citygrid_timers_due", "Timers due now and not fired yet", value=due)
        yield GaugeMetricFamily("citygrid_timer_lag_seconds",
                                "Now minus the due instant of the oldest timer not fired yet (0: none due)",
                                value=(now - oldest).total_seconds() if oldest is not None else 0.0)
        open_cases = GaugeMetricFamily("citygrid_cases_open", "Open cases by status", labels=["status"])
        for status, count in by_status.items():
            open_cases.add_metric([status], count)
        yield open_cases
        yield GaugeMetricFamily("citygrid_cases_overdue", "Open cases past their deadline now", value=overdue)


def may_read():
    """From this machine, or with the configured token."""
    token = current_app.config["CITYGRID_METRICS_TOKEN"]
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def exposition(app):
    """The text exposition: this process's (or under gunicorn all workers') counters and histograms,
    then the gauges of the moment."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector(app))
    return generate_latest(counted) + generate_latest(state)
