"""What the domain's CLI commands share: the app's runtime and org tree, one unit of work per
command (or a read that takes no write lock), refusals as one line (`errors.classify`), JSON and
user arguments, and command groups that several packages add to.

Each concept's `cli.py` holds click commands that are thin wrappers: parse, call one plain
function of its package in one unit of work, print."""
import json

import click
from flask import current_app
from flask.cli import AppGroup

from engine.db import get_db

from . import errors
from .org.service import get_user_by_username


def runtime():
    return current_app.extensions["citygrid.runtime"]


def directory():
    return current_app.extensions["citygrid.directory"]


def _in(unit_of_work, fn):
    rt = runtime()
    try:
        with unit_of_work() as session:
            rt.clock.sync(session)
            return fn(session, rt)
    except errors.REFUSALS as exc:
        found = errors.classify(exc)
        if found is None:
            raise
        errors.log_unavailable(found, exc)
        raise click.ClickException(found.line) from None


def run(fn):
    """fn(session, runtime) in one unit of work (committed once); a refusal exits with one line."""
    return _in(get_db().unit_of_work, fn)


def read(fn, *, strict=False):
    """fn(session, runtime) in a read-only unit of work: it takes no write lock (SQLite), so a
    long read (an audit of every case) never holds up the writers; nothing it does is committed.
    `strict`: the database refuses any write in it (`Database.reading`)."""
    return _in(lambda: get_db().reading(strict=strict), fn)


def json_object(text):
    """A click type: a JSON object given on the command line."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object")
    return value


def active_user(session, username):
    """The active user named, or a one-line refusal."""
    user = get_user_by_username(session, username)
    if user is None or not user.active:
        raise click.ClickException(f"unknown user {username!r}")
    return user


def register(app, name, help_text, *commands):
    """Add commands (click commands marked `with_appcontext`) to the app's group `name`, created by
    whichever package registers into it first."""
    found = app.cli.commands.get(name)
    if found is None:
        found = AppGroup(name, help=help_text)
        app.cli.add_command(found)
    for command in commands:
        found.add_command(command)
    return found


def echo_json(value):
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))
