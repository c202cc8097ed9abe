"""The Flask app factory and the only place where the parts are wired together.

Run anything with `flask --app app ...`; see README.md for the commands.
"""
import os
import secrets
import signal
import sys
from pathlib import Path

import click
from flask import Flask, current_app, request
from flask.cli import with_appcontext

ROOT = Path(__file__).resolve().parent


def load_config(environ, instance_path):
    """Configuration from environment variables, with safe embedded defaults."""
    return {
        "DATABASE_URL": environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'citygrid.db'}",
        "CITYGRID_CLOCK": environ.get("CITYGRID_CLOCK", "real"),
        "CITYGRID_SCHEDULER": environ.get("CITYGRID_SCHEDULER", "on"),
        "CITYGRID_SWEEP_SECONDS": float(environ.get("CITYGRID_SWEEP_SECONDS", "5")),
        # the sweep's batches (seconds a transaction may run) and the scheduler lease (default:
        # the interval plus a margin, see engine.scheduler)
        "CITYGRID_SWEEP_BATCH_SECONDS": float(environ.get("CITYGRID_SWEEP_BATCH_SECONDS", "0.25")),
        # PostgreSQL: processes a sweep with more than one batch to do shares it with (itself included)
        "CITYGRID_SWEEP_PROCESSES": int(environ.get("CITYGRID_SWEEP_PROCESSES", "2")),
        "CITYGRID_SWEEP_LEASE_SECONDS": float(environ["CITYGRID_SWEEP_LEASE_SECONDS"])
        if environ.get("CITYGRID_SWEEP_LEASE_SECONDS") else None,
        "CITYGRID_CALENDAR_DIR": environ.get("CITYGRID_CALENDAR_DIR", str(ROOT / "calendar")),
        "CITYGRID_PROCESS_DIR": environ.get("CITYGRID_PROCESS_DIR", str(ROOT / "processes")),
        "CITYGRID_UPLOAD_DIR": environ.get("CITYGRID_UPLOAD_DIR", str(Path(instance_path) / "uploads")),
        "CITYGRID_MAX_PHOTO_BYTES": int(environ.get("CITYGRID_MAX_PHOTO_BYTES", str(8 * 1024 * 1024))),
        "SECRET_KEY": environ.get("SECRET_KEY"),
        # web UI: the category catalogue, cookies only over HTTPS when served behind TLS, request size cap
        "CITYGRID_CATEGORIES": environ.get("CITYGRID_CATEGORIES", str(ROOT / "handlers" / "categories" / "categories.toml")),
        "SESSION_COOKIE_SECURE": environ.get("CITYGRID_SECURE_COOKIES", "off") == "on",
        "MAX_CONTENT_LENGTH": int(environ.get("CITYGRID_MAX_REQUEST_BYTES", str(80 * 1024 * 1024))),
        # REST API: the lifetime of tokens issued by the login endpoint (0: no expiry), the video
        # detector's violation kinds (data)
        "CITYGRID_API_TOKEN_HOURS": int(environ.get("CITYGRID_API_TOKEN_HOURS", "720")),
        "CITYGRID_VIOLATIONS": environ.get("CITYGRID_VIOLATIONS",
                                           str(ROOT / "handlers" / "intake" / "violations.toml")),
        # notifications: how often an open page asks for the unread count; the outbound gateway
        # (log or webhook), which kinds go out, its retries and the delivery sweep's interval
        "CITYGRID_NOTIFY_POLL_SECONDS": float(environ.get("CITYGRID_NOTIFY_POLL_SECONDS", "20")),
        "CITYGRID_NOTIFY_GATEWAY": environ.get("CITYGRID_NOTIFY_GATEWAY", "log"),
        "CITYGRID_NOTIFY_WEBHOOK_URL": environ.get("CITYGRID_NOTIFY_WEBHOOK_URL", ""),
        "CITYGRID_NOTIFY_WEBHOOK_SECRET": environ.get("CITYGRID_NOTIFY_WEBHOOK_SECRET", ""),
        "CITYGRID_NOTIFY_TIMEOUT_SECONDS": float(environ.get("CITYGRID_NOTIFY_TIMEOUT_SECONDS", "10")),
        "CITYGRID_NOTIFY_OUTBOUND": environ.get("CITYGRID_NOTIFY_OUTBOUND", "overdue,supervision"),
        "CITYGRID_NOTIFY_MAX_ATTEMPTS": int(environ.get("CITYGRID_NOTIFY_MAX_ATTEMPTS", "8")),
        "CITYGRID_NOTIFY_RETRY_SECONDS": float(environ.get("CITYGRID_NOTIFY_RETRY_SECONDS", "60")),
        "CITYGRID_DELIVERY_SECONDS": float(environ.get("CITYGRID_DELIVERY_SECONDS", "10")),
        # production: a server database's pool per process (engine.db.pool_settings; empty: its
        # default), the proxies in front whose X-Forwarded-For/-Proto to trust, the JSON request log,
        # who may read /metrics besides this machine, how stale the sweep may be for /readyz
        **{name: environ.get(name, "") for name in ("CITYGRID_DB_POOL_SIZE", "CITYGRID_DB_MAX_OVERFLOW",
                                                     "CITYGRID_DB_POOL_TIMEOUT", "CITYGRID_DB_POOL_RECYCLE")},
        "CITYGRID_PROXY_HOPS": int(environ.get("CITYGRID_PROXY_HOPS", "0")),
        "CITYGRID_REQUEST_LOG": environ.get("CITYGRID_REQUEST_LOG", "on"),
        "CITYGRID_METRICS_TOKEN": environ.get("CITYGRID_METRICS_TOKEN", ""),
        "CITYGRID_READY_SWEEP_SECONDS": float(environ.get("CITYGRID_READY_SWEEP_SECONDS", "120")),
        # the login limit (handlers.org.throttle): wrong passwords per account and per address within
        # the window; its store (the database, or Redis by URL)
        "CITYGRID_LOGIN_ACCOUNT_LIMIT": int(environ.get("CITYGRID_LOGIN_ACCOUNT_LIMIT", "5")),
        "CITYGRID_LOGIN_ADDRESS_LIMIT": int(environ.get("CITYGRID_LOGIN_ADDRESS_LIMIT", "20")),
        "CITYGRID_LOGIN_WINDOW_SECONDS": float(environ.get("CITYGRID_LOGIN_WINDOW_SECONDS", "60")),
        "CITYGRID_LOGIN_LIMIT_REDIS_URL": environ.get("CITYGRID_LOGIN_LIMIT_REDIS_URL", ""),
    }


def _secret_key(instance_path):
    """A per-installation key kept in instance/, created on first start (never committed). Written
    aside and linked into place, so that workers starting at once all read the one that won."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        aside = path.with_name(f".secret_key.{os.getpid()}")
        aside.write_text(secrets.token_hex(32))
        aside.chmod(0o600)
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    return path.read_text().strip()


def create_app(test_config=None):
    """Build the app; `test_config` overrides the environment (tests)."""
    app = Flask(__name__, instance_relative_config=True)
    from engine.db import IdConverter
    app.url_map.converters["int"] = IdConverter   # before any route: ids past the databases' range are 404
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(os.environ, app.instance_path))
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

    # --- wiring: the request log and metrics first (they must see every answer last), the engine,
    # then the domain that registers into it, then the interfaces ---
    import ops
    ops.init_app(app)
    from engine import cli as engine_cli, db
    from engine.clock import make_clock
    from engine.runtime import Runtime
    from handlers.audit import cli as audit_cli
    from handlers.callbacks import cli as callbacks_cli, messages as callback_messages, sender as callback_sender
    from handlers.callbacks import service as callbacks, signing
    from handlers.cases import cli as cases_cli, summary
    from handlers.demo import cli as demo_cli
    from handlers.evaluation import cli as evaluation_cli, rules as evaluation_rules, steps as evaluation_steps
    from handlers.intake import cli as intake_cli
    from handlers.notifications import cli as notifications_cli, gateways, outbox, scheduled as delivery
    from handlers.notifications import service as notifications
    from handlers.org import cli as org_cli
    from handlers.org import throttle, units as org_units
    from handlers.org.directory import Directory
    from handlers.process import contract, functions, lint, routing, services
    from handlers.workcalendar import cli as calendar_cli, years as calendar_years
    from handlers.workcalendar.worktime import get_calendar
    from handlers.worklist import cli as worklist_cli, service as worklist

    db.init_app(app)
    calendar = functions.CalendarRef(get_calendar(app))
    directory = Directory(db.get_db(app))
    runtime = Runtime(
        clock=make_clock(app.config["CITYGRID_CLOCK"]),
        calendar=functions.BusinessCalendar(calendar),
        functions=functions.build(calendar=calendar, directory=directory),
        services=services.registry(calendar),
    )
    notify_policy = outbox.policy_from_config(app.config)
    runtime.listeners += [summary.make_refresh(directory), evaluation_steps.refresh, worklist.refresh,
                          notifications.make_refresh(directory=directory, policy=notify_policy),
                          callback_messages.refresh]
    runtime.replay_context = calendar.replay_context
    runtime.linters += [lint.check_user_tasks, lint.check_steps, lint.check_decision_tables, lint.check_contract]
    runtime.decision_linters += [evaluation_rules.check_tables]
    runtime.link_linters += [routing.check_routing]
    runtime.read_decisions[contract.PROCESS_ID] = contract.READ_DECISIONS
    app.extensions["citygrid.runtime"] = runtime
    app.extensions["citygrid.directory"] = directory
    from engine import stamps

    def fresh_caches():
        # the org tree and the calendar as every process's last change left them (engine.stamps)
        versions = stamps.read_all(db.get_db(app))
        directory.warm(versions.get(org_units.STAMP, 0))
        calendar.calendar.follow(versions.get(calendar_years.STAMP, 0))

    @app.before_request
    def _fresh_caches():
        # first of all, before a request's session takes a connection; not for the probes and the
        # metrics, which answer on their own when the database is down
        if request.blueprint != ops.health.bp.name:
            fresh_caches()
    app.extensions["citygrid.notify_policy"] = notify_policy
    # results back to the channels: the clients' secrets kept encrypted under a key from SECRET_KEY;
    # their messages go through the same outbox and delivery sweep, routed to the client's URL
    cipher = app.extensions["citygrid.callback_cipher"] = signing.Cipher(app.config["SECRET_KEY"])
    app.extensions["citygrid.notify_gateway"] = gateways.Router(gateways.from_config(app.config), {
        callbacks.KIND: callback_sender.CallbackSender(db.get_db(app), cipher,
                                                       timeout=app.config["CITYGRID_NOTIFY_TIMEOUT_SECONDS"])})
    app.extensions["citygrid.login_limiter"] = throttle.Limiter(throttle.store_from_config(app.config),
                                                                throttle.policy_from_config(app.config))
    # beside the timer sweep in `serve`'s scheduler (cron: `notifications deliver`)
    app.extensions["citygrid.jobs"] = [(delivery.JOB_ID, lambda: delivery.deliver(app),
                                        app.config["CITYGRID_DELIVERY_SECONDS"]),
                                       # the sweeping process serves no request: it follows the stamps here
                                       ("caches.refresh", fresh_caches, app.config["CITYGRID_SWEEP_SECONDS"])]
    # after `db upgrade`: the steps of cases recorded before the steps table existed
    app.extensions["citygrid.after_upgrade"] = [evaluation_steps.rebuild_missing]

    for commands in (engine_cli, calendar_cli, cases_cli, worklist_cli, audit_cli, demo_cli, org_cli, intake_cli,
                     evaluation_cli, notifications_cli, callbacks_cli):
        commands.init_app(app)

    import api
    import web
    web.init_app(app)
    api.init_app(app)
    # A request's commit that fails (a lost race), or a database that cannot serve it (503 with
    # Retry-After, wherever the request met it): JSON under /api/, a page elsewhere.
    from handlers.errors import DATABASE_ERRORS

    def database_refusal(exc):
        return api.refusal_response(exc) if request.path.startswith(api.PREFIX) else web.refusal_page(exc)
    app.extensions["citygrid.commit_error"] = database_refusal
    for exc_class in DATABASE_ERRORS:
        app.register_error_handler(exc_class, database_refusal)
    app.cli.add_command(serve)
    if app.config["CITYGRID_PROXY_HOPS"]:
        # Behind nginx: the client's address and scheme as the proxy saw them (the login limit counts
        # per address, /metrics trusts loopback only, secure cookies need https).
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["CITYGRID_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    # --- end of wiring ---
    return app


@click.command("serve")
@click.option("--host", default=lambda: os.environ.get("CITYGRID_HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("CITYGRID_PORT", "5000")), type=int, show_default="5000")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Serve with gunicorn and this many worker processes (production, deploy/gunicorn.conf.py); "
                   "without it, Werkzeug's development server with the in-process sweeps.")
@with_appcontext
def serve(host, port, workers):
    """Serve the web app: the development server with the in-process timer and delivery sweeps
    (CITYGRID_SCHEDULER=off to disable), or with --workers N gunicorn (no sweep in its workers)."""
    app = current_app._get_current_object()
    if workers:
        _gunicorn(app, host, port, workers)
    from werkzeug.serving import run_simple
    from engine import scheduler
    from ops import devserver
    from engine.settle import settle

    settle(app)

    running = None
    if app.config["CITYGRID_SCHEDULER"] == "on":
        running = scheduler.start(app)
        click.echo(f"timer sweep every {app.config['CITYGRID_SWEEP_SECONDS']:g} s, notification delivery "
                   f"every {app.config['CITYGRID_DELIVERY_SECONDS']:g} s ({app.config['CITYGRID_NOTIFY_GATEWAY']})")
    click.echo(f"clock: {app.config['CITYGRID_CLOCK']}; database: {app.config['DATABASE_URL']}")
    click.echo("demo logins (password demo): intake, dispatcher, shiftlead, officer-350203011003, "
               "grid-35020301100301, owner, auditor, admin, supervisor-committee, supervisor-office, "
               "supervisor-350203")
    click.echo(f"open http://{host}:{port}/")
    # SIGTERM stops like Ctrl-C, so that the scheduler gives its lease up for another process at once
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        run_simple(host, port, devserver.closing(app), threaded=True, use_reloader=False,
                   request_handler=devserver.RequestHandler)
    finally:
        if running is not None:
            running.shutdown(wait=False)


def _gunicorn(app, host, port, workers):
    """Replace this process with gunicorn on deploy/gunicorn.conf.py (each worker builds its own app
    from the same environment; the command line's bind and workers win over the file's)."""
    from sqlalchemy.engine import make_url

    click.echo(f"gunicorn: {workers} workers on http://{host}:{port}/ (deploy/gunicorn.conf.py); clock: "
               f"{app.config['CITYGRID_CLOCK']}; database: "
               f"{make_url(app.config['DATABASE_URL']).render_as_string(hide_password=True)}")
    # the web workers run no scheduler: `timers run` beside them (deploy/systemd), under the lease
    click.echo("no timer sweep or notification delivery in the web workers: run `flask --app app timers run` "
               "beside them (README: Production)")
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                              "--workers", str(workers), "--bind", f"{host}:{port}"])
