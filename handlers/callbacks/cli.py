"""`clients set-callback|clear-callback|callbacks|retry-callback`: a client's callback and the
messages sent to it, thin wrappers over `service`, one unit of work each. A new secret is the last
line printed (shown only once: it is stored encrypted)."""
import click
from flask import current_app
from flask.cli import with_appcontext

from .. import commands, localtime
from ..notifications import outbox
from . import service


@click.command("set-callback")
@with_appcontext
@click.argument("name")
@click.argument("url")
@click.option("--new-secret", is_flag=True, help="Issue a fresh signing secret (the first time one always is).")
@click.option("--by", "actor", default="cli", show_default=True, help="Who sets it (recorded on the system log).")
def set_callback_command(name, url, new_secret, actor):
    """Send client NAME's case results to URL; a new secret is the last line."""
    cipher = current_app.extensions["citygrid.callback_cipher"]
    callback, secret = commands.run(lambda session, runtime: service.set_callback(
        session, cipher, name=name, url=url, at=runtime.clock.now(), actor=actor, new_secret=new_secret))
    click.echo(f"callback of {name}: {callback.url} (secret {callback.secret_fingerprint})")
    if secret:
        click.echo(secret)


@click.command("clear-callback")
@with_appcontext
@click.argument("name")
@click.option("--by", "actor", default="cli", show_default=True)
def clear_callback_command(name, actor):
    """Send client NAME no further results."""
    had = commands.run(lambda session, runtime: service.clear_callback(session, name=name, at=runtime.clock.now(),
                                                                       actor=actor))
    click.echo(f"callback of {name} removed" if had else f"{name} had no callback")


@click.command("callbacks")
@with_appcontext
@click.argument("name")
@click.option("--status", type=click.Choice(outbox.STATUSES))
def callbacks_command(name, status):
    """The messages to client NAME, newest first, with their delivery state; last line the counts."""
    def listing(session, runtime):
        client = service.client_named(session, name)
        page = service.deliveries(session, client, status=status, per_page=1000)
        return [(m.id, m.payload.get("event"), m.payload.get("case_no"), m.status, m.attempts, m.response_code,
                 localtime.isoformat(m.created_at), m.last_error) for m in page.items], \
            outbox.counts(session, client_id=client.id)
    rows, counts = commands.read(listing)
    for message_id, event, case_no, status_, attempts, code, created, error in rows:
        click.echo(f"{message_id} {event} {case_no} {status_} attempts={attempts} code={code or '-'} "
                   f"created={created}" + (f" error={error}" if error else ""))
    click.echo(", ".join(f"{n} {s}" for s, n in counts.items()))


@click.command("retry-callback")
@with_appcontext
@click.argument("name")
@click.argument("message_id", type=int, required=False)
@click.option("--all", "every", is_flag=True, help="every dead message of the client")
def retry_callback_command(name, message_id, every):
    """Put a dead message to client NAME (or --all of them) back in the queue, due now."""
    if (message_id is None) == (not every):
        raise click.UsageError("give a MESSAGE_ID or --all")

    def do(session, runtime):
        client, now = service.client_named(session, name), runtime.clock.now()
        if every:
            return outbox.retry_all(session, now, client_id=client.id)
        service.retry(session, client, message_id, now)
        return 1
    click.echo(f"{commands.run(do)} messages queued again")


def init_app(app):
    commands.register(app, "clients", "External API clients (12345, 110, WeChat, web portal, video).",
                      set_callback_command, clear_callback_command, callbacks_command, retry_callback_command)
