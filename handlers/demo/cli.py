"""`demo load`: the org tree, the users and (into an empty database) the sample cases."""
import click
from flask.cli import with_appcontext

from .. import commands
from . import samples, tree


@click.command("load")
@with_appcontext
def load_command():
    """Load the Xiamen org tree, the demo users (password `demo`) and sample cases; safe to run twice."""
    units, users = commands.run(lambda session, runtime: tree.load(session))
    commands.directory().invalidate()
    click.echo(f"{units} units and {users} users added (password: demo)")
    added = commands.run(lambda session, runtime: samples.load(session, runtime, commands.directory()))
    click.echo(f"{added} sample cases added")


def init_app(app):
    commands.register(app, "demo", "Demo data.", load_command)
