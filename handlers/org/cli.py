"""`users token|revoke-token` and `clients add|list|token|revoke`: thin wrappers over `tokens`, one
unit of work each. A token is always the last line printed (shown only once: only its hash is
stored)."""
from datetime import timedelta

import click
from flask.cli import with_appcontext

from .. import commands
from . import tokens


def _now_run(fn):
    return commands.run(lambda session, runtime: fn(session, runtime.clock.now()))


@click.command("token")
@with_appcontext
@click.argument("username")
@click.option("--hours", type=click.IntRange(1, 24 * 3650), help="Expire after this many hours (default: never).")
def users_token(username, hours):
    """Issue a bearer token for USERNAME; the token is the last line."""
    row, token = _now_run(lambda session, now: tokens.issue_user_token(
        session, username=username, at=now, ttl=timedelta(hours=hours) if hours else None))
    click.echo(f"token for {username}" + (f", expires {row.expires_at.isoformat()}" if row.expires_at else ", no expiry"))
    click.echo(token)


@click.command("revoke-token")
@with_appcontext
@click.argument("username")
@click.option("--token", "token", help="Revoke only this token (default: every token of the user).")
def users_revoke_token(username, token):
    """Revoke USERNAME's tokens (all of them, or the one given)."""
    count = _now_run(lambda session, now: tokens.revoke_user_tokens(session, username=username, at=now, token=token))
    click.echo(f"{count} tokens revoked")


@click.command("add")
@with_appcontext
@click.argument("name")
@click.option("--channel", required=True, help=" | ".join(tokens.CLIENT_CHANNELS))
def clients_add(name, channel):
    """Register an external client reporting on CHANNEL; its token is the last line."""
    client, token = _now_run(lambda session, now: tokens.create_client(session, name=name, channel=channel, at=now))
    click.echo(f"client {name} added on channel {channel} (reports as {client.username})")
    click.echo(token)


@click.command("list")
@with_appcontext
def clients_list():
    """Every client: name, channel, active or revoked, last use."""
    rows = _now_run(lambda session, now: [(c.name, c.channel, c.active, tokens.last_used(session, c))
                                          for c in tokens.get_all_clients(session)])
    for name, channel, active, used in rows:
        click.echo(f"{name} {channel} {'active' if active else 'revoked'} "
                   f"last-used {used.isoformat() if used else 'never'}")


@click.command("token")
@with_appcontext
@click.argument("name")
def clients_token(name):
    """Issue a further token for client NAME (to rotate: switch, then revoke the old one); last line."""
    _, token = _now_run(lambda session, now: tokens.issue_client_token(session, name=name, at=now))
    click.echo(f"new token for client {name}")
    click.echo(token)


@click.command("revoke")
@with_appcontext
@click.argument("name")
def clients_revoke(name):
    """Revoke client NAME and all its tokens."""
    _now_run(lambda session, now: tokens.revoke_client(session, name=name, at=now))
    click.echo(f"client {name} revoked")


def init_app(app):
    commands.register(app, "users", "Users.", users_token, users_revoke_token)
    commands.register(app, "clients", "External API clients (12345, 110, WeChat, web portal, video).",
                      clients_add, clients_list, clients_token, clients_revoke)
