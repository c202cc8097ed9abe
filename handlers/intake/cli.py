"""`cameras add|list`: thin wrappers over `cameras`, one unit of work each."""
import click
from flask.cli import with_appcontext

from .. import commands
from . import cameras


@click.command("add")
@with_appcontext
@click.argument("code")
@click.option("--name", required=True, help="Where it looks, e.g. 明发商业广场东门.")
@click.option("--grid", required=True, help="The responsibility grid it watches (unit code).")
@click.option("--lat", required=True, type=float)
@click.option("--lng", required=True, type=float)
def cameras_add(code, name, grid, lat, lng):
    """Register a video-detection camera."""
    commands.run(lambda session, runtime: cameras.create(session, commands.directory(), code=code, name=name,
                                                         grid=grid, lat=lat, lng=lng, at=runtime.clock.now()))
    click.echo(f"camera {code} added on grid {grid}")


@click.command("list")
@with_appcontext
def cameras_list():
    """Every camera: code, grid, location, name."""
    rows = commands.read(lambda session, runtime: [(c.code, c.grid, c.lat, c.lng, c.name)
                                                   for c in cameras.get_all(session)])
    for row in rows:
        click.echo(" ".join(map(str, row)))


def init_app(app):
    commands.register(app, "cameras", "Video-detection cameras.", cameras_add, cameras_list)
