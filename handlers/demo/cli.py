"""`demo load` (the org tree, the users, months of history and the sample cases, into an empty
database) and `demo history` (the history alone)."""
import time

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from tqdm import tqdm

from engine.db import get_db

from .. import commands
from ..cases.models import Case
from ..workcalendar.worktime import get_calendar
from . import history, samples, tree


def play_history(months, seed):
    """Play the history up to the app's now with a progress bar; returns (summary, seconds)."""
    runtime, directory = commands.runtime(), commands.directory()
    end = commands.read(lambda session, rt: rt.clock.now())
    started = time.perf_counter()
    bar = tqdm(total=round(30.44 * months), desc="history", unit="day", disable=None, leave=False)
    first = {}

    def progress(at):
        first.setdefault("at", at)
        bar.update(max(0, (at - first["at"]).days - bar.n))
    try:
        summary = history.generate(get_db(), runtime, directory, get_calendar(), months=months, seed=seed, end=end,
                                   progress=progress)
    finally:
        bar.close()
    return summary, time.perf_counter() - started


def _echo_history(summary, months, seconds):
    click.echo(f"{summary.cases} cases of history over {months} months added ({summary.steps} steps, "
               f"{summary.timers} timers fired in {summary.sweeps} sweeps, {seconds:.1f} s)")


@click.command("load")
@with_appcontext
@click.option("--months", type=click.IntRange(0, 24), default=3, show_default=True,
              help="Months of history to play before the sample cases (0: none).")
@click.option("--seed", type=int, default=2026, show_default=True)
def load_command(months, seed):
    """Load the Xiamen org tree, the demo users (password `demo`) and, into an empty database, months of
    history and the sample cases; safe to run twice."""
    units, users = commands.run(lambda session, runtime: tree.load(session))
    commands.directory().invalidate()
    click.echo(f"{units} units and {users} users added (password: demo)")
    empty = commands.read(lambda session, runtime: session.scalar(select(Case.id).limit(1)) is None)
    if empty and months:
        summary, seconds = play_history(months, seed)
        _echo_history(summary, months, seconds)
    added = commands.run(lambda session, runtime: samples.load(session, runtime, commands.directory(), force=empty))
    click.echo(f"{added} sample cases added")


@click.command("history")
@with_appcontext
@click.option("--months", type=click.IntRange(1, 24), default=3, show_default=True)
@click.option("--seed", type=int, default=2026, show_default=True, help="The same seed plays the same history.")
def history_command(months, seed):
    """Play MONTHS of cases up to now in simulated time, through the real services and engine."""
    summary, seconds = play_history(months, seed)
    _echo_history(summary, months, seconds)


def init_app(app):
    commands.register(app, "demo", "Demo data.", load_command, history_command)
