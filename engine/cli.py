"""Engine commands: `db upgrade`, `clock show|set|advance`, `timers sweep|run`. Thin click wrappers
over `upgrade`, `clock.move`, `sweep.sweep` and `scheduler.start`; wrong input exits non-zero with
one line."""
import re
import signal
import threading
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import deployments, scheduler, schema, sweep
from .clock import ClockError, move
from .db import get_db
from .settle import settle


def get_runtime(app=None):
    return (app or current_app).extensions["citygrid.runtime"]


def parse_instant(text, runtime):
    """ISO 8601; without an offset it is read in the business calendar's zone."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 instant: {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=runtime.calendar.local(runtime.clock.now()).tzinfo)
    return value


_SHORT = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")


def parse_duration(text):
    """Elapsed (wall) time: ISO 8601 (`PT2H`, `P1DT30M`) or short (`90m`, `2h`, `3d`, `1w`)."""
    match = _SHORT.match(text.strip().lower())
    if match:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
        try:
            return timedelta(**{unit: float(match.group(1))})
        except OverflowError:
            raise click.BadParameter(f"duration out of range: {text!r}") from None
    try:
        if not text.strip().upper().startswith("P"):
            raise ValueError("an ISO 8601 duration starts with P")
        parsed = TimerEventDefinition.parse_iso_duration(text.strip())
        if not parsed:   # SpiffWorkflow reads "" and "P" as no duration at all
            raise ValueError("no duration given")
        if parsed.pop("years", 0) or parsed.pop("months", 0):
            raise ValueError("years and months have no fixed length")
        return timedelta(**parsed)
    except Exception:
        raise click.BadParameter(f"not a duration: {text!r} (e.g. PT2H, P1D, 90m, 2h, 3d)") from None


def show_instant(runtime, instant):
    return runtime.calendar.local(instant).isoformat()


def upgrade(app):
    """Migrate the schema to the newest version, deploy the shipped processes if they changed, then
    run what the app registered to follow an upgrade (`citygrid.after_upgrade`: f(session, runtime))."""
    schema.upgrade(app.config["DATABASE_URL"])
    runtime = get_runtime(app)
    with get_db(app).unit_of_work() as session:
        runtime.clock.sync(session)
        deployed = deployments.deploy_directory(session, runtime, app.config["CITYGRID_PROCESS_DIR"], actor="system")
        for hook in app.extensions.get("citygrid.after_upgrade", ()):
            hook(session, runtime)
    return deployed


db_group = AppGroup("db", help="Database schema and shipped processes.")
clock_group = AppGroup("clock", help="The clock (simulated clock only for set/advance).")
timers_group = AppGroup("timers", help="The timer table.")


@db_group.command("upgrade")
def db_upgrade():
    """Apply migrations and deploy processes/ (a new version only if its content changed)."""
    try:
        deployed = upgrade(current_app)
    except deployments.DeploymentError as err:   # a bad file in processes/: said on one line, exit 1
        first = err.problems[0]
        where = ":".join(str(x) for x in (first.file, first.line) if x) or "processes/"
        more = f" (and {len(err.problems) - 1} more)" if len(err.problems) > 1 else ""
        raise click.ClickException(f"{where}: {first.element + ': ' if first.element else ''}"
                                   f"{first.message}{more}; nothing deployed") from None
    for deployment in deployed:
        click.echo(f"process {deployment.process_id}: version {deployment.id} ({deployment.hash[:12]})")
    click.echo("database is up to date")


@clock_group.command("show")
def clock_show():
    """Print the clock's now (+08:00) and whether it is simulated."""
    runtime = get_runtime()
    with get_db().reading() as session:
        runtime.clock.sync(session)
    kind = "simulated" if runtime.clock.simulated else "real"
    click.echo(f"{show_instant(runtime, runtime.clock.now())} {kind}")


def _move(**how):
    runtime = get_runtime()
    try:
        click.echo(show_instant(runtime, move(get_db(), runtime.clock, **how)))
    except ClockError as exc:
        raise click.ClickException(str(exc))


@clock_group.command("set")
@click.argument("instant")
def clock_set(instant):
    """Set the simulated clock to INSTANT (ISO 8601)."""
    _move(to=parse_instant(instant, get_runtime()))


@clock_group.command("advance")
@click.argument("duration")
def clock_advance(duration):
    """Move the simulated clock forward by DURATION (PT2H, P1D, 90m, 3d ...)."""
    _move(by=parse_duration(duration))


@timers_group.command("sweep")
def timers_sweep():
    """Fire every timer due at the clock's now; the last line is the number fired."""
    config = current_app.config
    result = sweep.sweep(get_db(), get_runtime(), budget=config["CITYGRID_SWEEP_BATCH_SECONDS"],
                         processes=config.get("CITYGRID_SWEEP_PROCESSES", 1))
    click.echo(f"{result.instances} instances, {result.conflicts} conflicts, {result.skipped} skipped")
    click.echo(f"{result.fired} timers fired")


@timers_group.command("run")
def timers_run():
    """Run the scheduler in the foreground (the timer sweep and the delivery job, while this process
    holds the scheduler lease) until SIGTERM or Ctrl-C; for a server that runs none itself."""
    app = current_app._get_current_object()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    settle(app)
    running = scheduler.start(app)
    click.echo(f"scheduler {running.leadership.holder}: timer sweep every {app.config['CITYGRID_SWEEP_SECONDS']:g} s, "
               f"delivery every {app.config['CITYGRID_DELIVERY_SECONDS']:g} s, lease "
               f"{scheduler.lease_seconds(app.config):g} s")
    try:
        while not stop.wait(1):
            pass
    finally:
        running.shutdown()
        click.echo("scheduler stopped")


def init_app(app):
    for group in (db_group, clock_group, timers_group):
        app.cli.add_command(group)
