"""`audit verify NO` and `audit verify --all`: the checks of `verify`, in a read-only unit of work
(they never hold up a writer), with a progress bar for every case."""
import click
from flask.cli import with_appcontext
from tqdm import tqdm

from .. import commands
from . import verify


def check_cases(session, runtime, case_nos, *, progress=False):
    """(number checked, the failed CaseChecks, the system chain's check)."""
    failures = []
    for number in tqdm(case_nos, desc="verifying", unit="case", disable=not progress):
        result = verify.verify_case(session, runtime, number)
        if not result.ok:
            failures.append(result)
    return len(case_nos), failures, verify.verify_system(session)


@click.command("verify")
@with_appcontext
@click.argument("case_no", required=False)
@click.option("--all", "everything", is_flag=True, help="Every case, with a progress bar.")
def verify_command(case_no, everything):
    """Check the hash chains and replay cases; exit 0 only if everything verifies."""
    if bool(case_no) == bool(everything):
        raise click.UsageError("give a case number or --all")
    count, failures, system = commands.read(lambda session, runtime: check_cases(
        session, runtime, [case_no] if case_no else verify.all_case_numbers(session), progress=everything))
    for failure in failures:
        click.echo(f"{failure.case_no}: {failure.problem}")
    if not system.ok:
        click.echo(f"system log: {system.problem}")
    click.echo(f"{count - len(failures)} of {count} cases verified" + ("" if system.ok else ", system log broken"))
    if failures or not system.ok:
        raise SystemExit(1)


def init_app(app):
    commands.register(app, "audit", "Integrity and replay checks.", verify_command)
