"""`tasks list` and `tasks complete`: thin wrappers over `service`, one unit of work each."""
import click
from flask.cli import with_appcontext

from .. import commands
from . import service
from .schemas import task_json


def open_tasks(session, directory, *, username=None, case_no=None):
    """The open tasks as JSON, newest first (those `username` may complete, if given)."""
    user = commands.active_user(session, username) if username else None
    return [task_json(t, c) for t, c in service.list_tasks(session, directory, user=user, case_no=case_no)]


def complete_task(session, runtime, directory, *, task_id, username, form):
    """Complete a task as a user; returns (case_no, status)."""
    case = service.complete(session, runtime, directory, user=commands.active_user(session, username),
                            task_id=task_id, data=form)
    return case.case_no, case.status


@click.command("list")
@with_appcontext
@click.option("--user", "username")
@click.option("--case", "case_no")
@click.option("--json", "as_json", is_flag=True)
def list_command(username, case_no, as_json):
    """Open tasks (those USER may complete, if given), newest first."""
    rows = commands.read(lambda session, runtime: open_tasks(session, commands.directory(), username=username,
                                                             case_no=case_no))
    if as_json:
        commands.echo_json(rows)
    else:
        for row in rows:
            click.echo(f"{row['id']} {row['case_no']} {row['step']} {row['role']}@{row['unit']}")


@click.command("complete")
@with_appcontext
@click.argument("task_id")
@click.option("--user", "username", required=True)
@click.option("--json", "payload", required=True, type=commands.json_object)
def complete_command(task_id, username, payload):
    """Complete an open task as USER with the step's form fields."""
    case_no, status = commands.run(lambda session, runtime: complete_task(
        session, runtime, commands.directory(), task_id=task_id, username=username, form=payload))
    click.echo(f"{case_no} {status}")


def init_app(app):
    commands.register(app, "tasks", "Open tasks.", list_command, complete_command)
