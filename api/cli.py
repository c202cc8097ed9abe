"""Commands for API credentials and cameras: `users token|revoke-token`, `clients add|list|token|revoke`,
`cameras add|list`. Thin click wrappers over the services of handlers.tokens and
handlers.intake.cameras, one unit of work each; wrong input exits non-zero with a one-line message.
The token is always the last line printed (it is shown only once: only its hash is stored)."""
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from engine.cli import get_runtime
from engine.db import get_db
from handlers import tokens
from handlers.intake import cameras


def run(fn):
    """fn(session, now) in one unit of work; domain refusals become one-line messages."""
    runtime = get_runtime()
    try:
        with get_db().unit_of_work() as session:
            runtime.clock.sync(session)
            return fn(session, runtime.clock.now())
    except (tokens.TokenError, cameras.CameraError) as err:
        raise click.ClickException(str(err))


def _group(app, name, help_text):
    """The app's command group `name`, created if no other package made it yet."""
    group = app.cli.commands.get(name)
    if group is None:
        group = AppGroup(name, help=help_text)
        app.cli.add_command(group)
    return group


@click.command("token")
@with_appcontext
@click.argument("username")
@click.option("--hours", type=click.IntRange(1, 24 * 3650), help="Expire after this many hours (default: never).")
def users_token(username, hours):
    """Issue a bearer token for USERNAME; the token is the last line."""
    def do(session, now):
        row, token = tokens.issue_user_token(session, username=username, at=now,
                                             ttl=timedelta(hours=hours) if hours else None)
        return row.expires_at, token
    expires, token = run(do)
    click.echo(f"token for {username}" + (f", expires {expires.isoformat()}" if expires else ", no expiry"))
    click.echo(token)


@click.command("revoke-token")
@with_appcontext
@click.argument("username")
@click.option("--token", "token", help="Revoke only this token (default: every token of the user).")
def users_revoke_token(username, token):
    """Revoke USERNAME's tokens (all of them, or the one given)."""
    count = run(lambda session, now: tokens.revoke_user_tokens(session, username=username, at=now, token=token))
    click.echo(f"{count} tokens revoked")


@click.command("add")
@with_appcontext
@click.argument("name")
@click.option("--channel", required=True, help=" | ".join(tokens.CLIENT_CHANNELS))
def clients_add(name, channel):
    """Register an external client reporting on CHANNEL; its token is the last line."""
    def do(session, now):
        client, token = tokens.create_client(session, name=name, channel=channel, at=now)
        return client.username, token
    username, token = run(do)
    click.echo(f"client {name} added on channel {channel} (reports as {username})")
    click.echo(token)


@click.command("list")
@with_appcontext
def clients_list():
    """Every client: name, channel, active or revoked, last use."""
    def do(session, now):
        return [(c.name, c.channel, c.active, tokens.last_used(session, c)) for c in tokens.get_all_clients(session)]
    for name, channel, active, used in run(do):
        click.echo(f"{name} {channel} {'active' if active else 'revoked'} "
                   f"last-used {used.isoformat() if used else 'never'}")


@click.command("token")
@with_appcontext
@click.argument("name")
def clients_token(name):
    """Issue a further token for client NAME (to rotate: switch, then revoke the old one); last line."""
    _, token = run(lambda session, now: tokens.issue_client_token(session, name=name, at=now))
    click.echo(f"new token for client {name}")
    click.echo(token)


@click.command("revoke")
@with_appcontext
@click.argument("name")
def clients_revoke(name):
    """Revoke client NAME and all its tokens."""
    run(lambda session, now: tokens.revoke_client(session, name=name, at=now))
    click.echo(f"client {name} revoked")


@click.command("add")
@with_appcontext
@click.argument("code")
@click.option("--name", required=True, help="Where it looks, e.g. 明发商业广场东门.")
@click.option("--grid", required=True, help="The responsibility grid it watches (unit code).")
@click.option("--lat", required=True, type=float)
@click.option("--lng", required=True, type=float)
def cameras_add(code, name, grid, lat, lng):
    """Register a video-detection camera."""
    directory = current_app.extensions["citygrid.directory"]
    run(lambda session, now: cameras.create(session, directory, code=code, name=name, grid=grid, lat=lat, lng=lng,
                                            at=now))
    click.echo(f"camera {code} added on grid {grid}")


@click.command("list")
@with_appcontext
def cameras_list():
    """Every camera: code, grid, location, name."""
    for c in run(lambda session, now: [(c.code, c.grid, c.lat, c.lng, c.name) for c in cameras.get_all(session)]):
        click.echo(" ".join(map(str, c)))


def init_app(app):
    users = _group(app, "users", "Users.")
    users.add_command(users_token)
    users.add_command(users_revoke_token)
    clients = _group(app, "clients", "External API clients (12345, 110, WeChat, web portal, video).")
    for command in (clients_add, clients_list, clients_token, clients_revoke):
        clients.add_command(command)
    cams = _group(app, "cameras", "Video-detection cameras.")
    cams.add_command(cameras_add)
    cams.add_command(cameras_list)
