"""Probes for the load balancer and the supervisor, and the metrics page:

- `GET /healthz`: the process is up and answers (touches nothing else): 200 `{"status": "ok"}`;
- `GET /readyz`: it can serve: the database answers, its schema is at this code's migration head,
  and the timer sweep keeps up. 200 `{"status": "ready", "checks": {...}}`, else 503 with each
  failing check's reason;
- `GET /metrics`: Prometheus text (ops.metrics), from this machine or with the metrics token.

The sweeper check reads the sweep's heartbeat (`engine.sweep.heartbeat_age`, on the real clock it
was written with): ready while it is at most CITYGRID_READY_SWEEP_SECONDS old. Before any sweep has
run it judges the sweep by its work: ready while no timer has been due and unfired for longer."""
from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from engine import schema, sweep, timers
from engine.db import get_db

from . import metrics

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _database(app):
    with get_db(app).engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        if not schema.is_current(connection):
            found = ", ".join(sorted(schema.current(connection))) or "none"
            return "ok", f"at {found}, this code needs {', '.join(sorted(schema.heads()))} (run db upgrade)"
    return "ok", "ok"


def _sweeper(app):
    limit = app.config["CITYGRID_READY_SWEEP_SECONDS"]
    if not limit:
        return "ok (not checked)"
    runtime = app.extensions["citygrid.runtime"]
    with get_db(app).reading() as session:
        age = sweep.heartbeat_age(session)
        if age is not None:
            return "ok" if age <= limit else f"last heartbeat {age:.0f} s ago (limit {limit:g} s): is a sweeper running?"
        runtime.clock.sync(session)
        now = runtime.clock.now()
        _, oldest = timers.due_summary(session, now)
    lag = (now - oldest).total_seconds() if oldest is not None else 0.0
    return "ok" if lag <= limit else f"a timer has been due for {lag:.0f} s (limit {limit:g} s): is a sweeper running?"


@bp.get("/readyz")
def readyz():
    app = current_app._get_current_object()
    checks = {}
    try:
        checks["database"], checks["migrations"] = _database(app)
    except Exception as exc:
        current_app.logger.warning("readyz: the database is unreachable: %s", exc.__class__.__name__)
        checks["database"] = "unreachable"
        return jsonify(status="not ready", checks=checks), 503
    try:
        checks["sweeper"] = _sweeper(app)
    except Exception as exc:
        checks["sweeper"] = f"unknown ({exc.__class__.__name__})"
    ready = all(value.startswith("ok") for value in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def metrics_page():
    if not metrics.may_read():
        return Response("metrics are readable from this machine or with the metrics token\n", 403,
                        mimetype="text/plain")
    return Response(metrics.exposition(current_app._get_current_object()),
                    mimetype="text/plain; version=0.0.4; charset=utf-8")
