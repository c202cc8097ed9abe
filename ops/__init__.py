"""Running the app as a service: the request id and the JSON line of every request (requestlog, in
the format of logs), the health, readiness and metrics endpoints (health, metrics). It observes the
app and reads the database; it changes nothing and knows no case rule (the case counts it shows come
from `handlers.cases.counts`). The production server's settings are deploy/gunicorn.conf.py; the
development server's one mend is devserver.

Nothing is imported here at module level: gunicorn's master loads `ops.logs` for its log format, and
must not hold the app's modules (a restart by SIGHUP forks workers that load the new code)."""


def init_app(app):
    """Call first of all the wiring: the after-request function registered first runs last (Flask
    runs them in reverse), so the log and the metrics see the final answer, after the request's
    commit (which may still turn a success into a 409)."""
    from flask import request

    from . import health, metrics, requestlog

    def observe(response):
        metrics.observe_request(requestlog.route(), request.method, response.status_code, requestlog.elapsed())
        return requestlog.finish(response)

    requestlog.init_logger()
    app.before_request(requestlog.begin)
    app.after_request(observe)
    app.register_blueprint(health.bp)
    # the sweeper reports each sweep here (engine.scheduler)
    app.extensions.setdefault("citygrid.sweep_observers", []).append(metrics.observe_sweep)
