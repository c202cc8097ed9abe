"""`evaluation report`: the evaluation of a period at one level, as a table (the default), CSV,
XLSX or JSON, on the terminal or into a file; a progress bar over its queries (a year over a
large city takes seconds). A thin wrapper over `report.evaluate`, in a read-only unit of work."""
from types import SimpleNamespace

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from .. import commands
from ..workcalendar.worktime import get_calendar
from . import export, report


def operator(directory):
    """Whoever runs the command line reads the whole evaluation, as the command center does."""
    return SimpleNamespace(role="admin", unit_code=directory.center(), username="cli")


@click.command("report")
@with_appcontext
@click.option("--period", help="2026-11 (month, the default: this one), 2026-Q4 or 2026.")
@click.option("--from", "date_from", help="First Beijing date of a range (with --to).")
@click.option("--to", "date_to", help="Last Beijing date of a range (with --from).")
@click.option("--level", type=click.Choice(report.LEVELS), default="district", show_default=True)
@click.option("--unit", help="Only the units (or people) within this unit, e.g. 350203 for the streets of 思明区.")
@click.option("--format", "fmt", type=click.Choice(("table", "csv", "xlsx", "json")), default="table",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to this file.")
def report_command(period, date_from, date_to, level, unit, fmt, out):
    """The evaluation (考评) of a period at one level; the rank in the first column."""
    bar = None

    def progress(total):
        nonlocal bar
        bar = tqdm(total=total, desc="evaluating", unit="query", disable=None, leave=False)
        return bar.update
    try:
        document = commands.read(lambda session, runtime: report.evaluate(
            session, runtime, commands.directory(), get_calendar(), viewer=operator(commands.directory()),
            period=period, date_from=date_from, date_to=date_to, level=level, unit=unit, progress=progress))
    finally:
        if bar is not None:
            bar.close()
    if fmt == "table":
        text = export.to_table(document) + "\n"
        if out:
            with open(out, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            click.echo(text, nl=False)
    else:
        data = export.FORMATS[fmt](document)
        if out:
            with open(out, "wb") as handle:
                handle.write(data)
        elif fmt == "xlsx":
            raise click.UsageError("XLSX is a file: give --out FILE")
        else:
            click.echo(data.decode("utf-8-sig"), nl=False)
    if out:
        click.echo(f"{len(document['rows'])} rows written to {out}")


def init_app(app):
    commands.register(app, "evaluation", "The evaluation (考评) of units, areas, posts and grid workers.",
                      report_command)
