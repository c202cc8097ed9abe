"""`audit verify NO` and `audit verify --all`: the checks of `verify`, with a progress bar for
every case. Each case is checked in a read transaction of its own, which the database itself keeps
read-only (`commands.read(strict=True)`): a check never takes a write lock, so the writers (reports,
steps, the sweep) go on beside it, and no transaction stays open for the whole run (on SQLite it
would hold back the WAL's checkpoints, on PostgreSQL vacuum)."""
import click
from flask.cli import with_appcontext
from tqdm import tqdm

from .. import commands
from . import verify


def check_cases(read, case_nos, *, progress=False):
    """(number checked, the failed CaseChecks, the system chain's check); `read(fn)` runs
    fn(session, runtime) in one read transaction (`commands.read`), once per case."""
    failures = []
    for number in tqdm(case_nos, desc="verifying", unit="case", disable=not progress):
        result = read(lambda session, runtime: verify.verify_case(session, runtime, number))
        if not result.ok:
            failures.append(result)
    return len(case_nos), failures, read(lambda session, runtime: verify.verify_system(session))


def strict_read(fn):
    return commands.read(fn, strict=True)


@click.command("verify")
@with_appcontext
@click.argument("case_no", required=False)
@click.option("--all", "everything", is_flag=True, help="Every case, with a progress bar.")
def verify_command(case_no, everything):
    """Check the hash chains and replay cases; exit 0 only if everything verifies."""
    if bool(case_no) == bool(everything):
        raise click.UsageError("give a case number or --all")
    numbers = [case_no] if case_no else strict_read(lambda session, runtime: verify.all_case_numbers(session))
    count, failures, system = check_cases(strict_read, numbers, progress=everything)
    for failure in failures:
        click.echo(f"{failure.case_no}: {failure.problem}")
    if not system.ok:
        click.echo(f"system log: {system.problem}")
    click.echo(f"{count - len(failures)} of {count} cases verified" + ("" if system.ok else ", system log broken"))
    if failures or not system.ok:
        raise SystemExit(1)


def init_app(app):
    commands.register(app, "audit", "Integrity and replay checks.", verify_command)
