"""`notifications deliver` (the delivery sweep, for cron), `notifications dead` (the dead letters)
and `notifications retry` (back in the queue): thin wrappers, one unit of work each."""
import click
from flask import current_app
from flask.cli import with_appcontext

from .. import commands, localtime
from . import outbox, scheduled


@click.command("deliver")
@with_appcontext
@click.option("--limit", type=click.IntRange(min=1), help="send at most this many")
def deliver_command(limit):
    """Send the outbound messages due now (retries with backoff; dead letters after the last attempt)."""
    result = scheduled.deliver(current_app._get_current_object(), limit=limit)
    click.echo(f"{result.sent} sent, {result.failed} failed, {result.dead} dead, {result.lost} lost")


@click.command("dead")
@with_appcontext
def dead_command():
    """The dead letters, newest first: id, kind, case, recipient, attempts, last error."""
    def listing(session, runtime):
        page = outbox.dead_letters(session, per_page=1000)
        return [(m.id, m.kind, n.case_no, m.recipient, m.attempts, m.response_code, m.last_error,
                 localtime.isoformat(m.created_at)) for m, n in page.items], page.total
    rows, total = commands.read(listing)
    for message_id, kind, case_no, recipient, attempts, code, error, created in rows:
        click.echo(f"{message_id} {kind} {case_no} {recipient} attempts={attempts} code={code or '-'} "
                   f"created={created} error={error}")
    click.echo(f"{total} dead letters")


@click.command("retry")
@with_appcontext
@click.argument("message_id", type=int, required=False)
@click.option("--all", "every", is_flag=True, help="every dead letter")
def retry_command(message_id, every):
    """Put a dead letter (or --all of them) back in the queue, due now."""
    if (message_id is None) == (not every):
        raise click.UsageError("give a MESSAGE_ID or --all")

    def do(session, runtime):
        now = runtime.clock.now()
        return outbox.retry_all(session, now) if every else (outbox.retry(session, message_id, now) and 1)
    click.echo(f"{commands.run(do)} messages queued again")


def init_app(app):
    commands.register(app, "notifications", "Notifications and their outbound delivery.",
                      deliver_command, dead_command, retry_command)
