"""`cases report`, `cases show` and `cases supervise`: thin wrappers over `service.report`, the
case JSON and `supervision.start`, one unit of work each. The command line is the operator's: it reports as any user, on any channel (the
web UI and the API hold staff to their role's channels, `intake.channels`)."""
import click
from flask.cli import with_appcontext

from engine import instances

from .. import commands
from .forms import ReportSchema
from . import supervision
from .schemas import case_json
from .service import get_by_no, report


def report_case(session, runtime, directory, *, username, payload):
    """Report a problem as a user; returns (case_no, created)."""
    user = commands.active_user(session, username)
    case, created = report(session, runtime, directory, user=user, data=ReportSchema().load(payload))
    return case.case_no, created


def show_case(session, runtime, directory, case_no):
    """The case JSON of a case number; raises instances.NotFound."""
    case = get_by_no(session, case_no)
    if case is None:
        raise instances.NotFound(f"no case {case_no}")
    return case_json(session, runtime, directory, case)


@click.command("report")
@with_appcontext
@click.option("--user", "username", required=True)
@click.option("--json", "payload", required=True, type=commands.json_object)
def report_command(username, payload):
    """Report a problem as USER; the last line is the case number."""
    case_no, created = commands.run(lambda session, runtime: report_case(
        session, runtime, commands.directory(), username=username, payload=payload))
    if not created:
        click.echo("already reported (same channel and external_ref)")
    click.echo(case_no)


@click.command("show")
@with_appcontext
@click.argument("case_no")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's case format).")
def show_command(case_no, as_json):
    """Show a case."""
    data = commands.read(lambda session, runtime: show_case(session, runtime, commands.directory(), case_no))
    if as_json:
        commands.echo_json(data)
    else:
        for key, value in data.items():
            click.echo(f"{key}: {value}")


def supervise_case(session, runtime, directory, *, username, case_no, comment):
    """Start a 督办 on a case as a user; returns the unit pressed."""
    case = get_by_no(session, case_no)
    if case is None:
        raise instances.NotFound(f"no case {case_no}")
    return supervision.start(session, runtime, directory, user=commands.active_user(session, username), case=case,
                             data={"comment": comment})


@click.command("supervise")
@with_appcontext
@click.argument("case_no")
@click.option("--user", "username", required=True, help="a shift lead or a supervisor")
@click.option("--comment", required=True, help="督办意见")
def supervise_command(case_no, username, comment):
    """Start a 督办 on CASE_NO: it reaches the unit holding it, which must answer (supervise_reply)."""
    unit = commands.run(lambda session, runtime: supervise_case(
        session, runtime, commands.directory(), username=username, case_no=case_no, comment=comment))
    click.echo(f"supervised: {unit}")


def init_app(app):
    commands.register(app, "cases", "Cases.", report_command, show_command, supervise_command)
