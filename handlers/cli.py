"""Domain commands: `demo load`, `cases report|show`, `tasks list|complete`, `audit verify`,
`calendar recompute`. Thin wrappers: parse, call one service in one unit of work, print."""
import json

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from marshmallow import ValidationError
from tqdm import tqdm

from engine import instances
from engine.cli import get_runtime
from engine.db import get_db

from . import audit, cases, deadlines, demo, forms, org, worklist, workcalendar
from .serialize import case_json, task_json


def directory():
    return current_app.extensions["citygrid.directory"]


def _json_arg(text):
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object")
    return value


def _user(session, username):
    user = org.get_user_by_username(session, username)
    if user is None or not user.active:
        raise click.ClickException(f"unknown user {username!r}")
    return user


def _validation_message(err):
    messages = err.messages if isinstance(err.messages, dict) else {"_": err.messages}
    return "; ".join(f"{field}: {' '.join(map(str, msgs if isinstance(msgs, list) else [msgs]))}"
                     for field, msgs in messages.items())


def run(fn):
    """Run fn(session, runtime) in one unit of work; domain errors become one-line messages."""
    runtime = get_runtime()
    try:
        with get_db().unit_of_work() as session:
            runtime.clock.sync(session)
            return fn(session, runtime)
    except ValidationError as err:
        raise click.ClickException(f"invalid input: {_validation_message(err)}")
    except cases.CaseError as err:
        raise click.ClickException(f"{err.field + ': ' if err.field else ''}{err}")
    except (worklist.PermissionDenied, instances.NotFound, instances.Conflict) as err:
        raise click.ClickException(str(err))


def init_app(app):
    demo_group = AppGroup("demo", help="Demo data.")
    cases_group = AppGroup("cases", help="Cases.")
    tasks_group = AppGroup("tasks", help="Open tasks.")
    audit_group = AppGroup("audit", help="Integrity and replay checks.")

    @demo_group.command("load")
    def demo_load():
        """Load the Xiamen org tree, the demo users (password `demo`) and sample cases; safe to run twice."""
        units, users = run(lambda session, runtime: demo.load(session))
        directory().invalidate()
        click.echo(f"{units} units and {users} users added (password: demo)")
        added = run(lambda session, runtime: demo.load_cases(session, runtime, directory()))
        click.echo(f"{added} sample cases added")

    @cases_group.command("report")
    @click.option("--user", "username", required=True)
    @click.option("--json", "payload", required=True, type=_json_arg)
    def cases_report(username, payload):
        """Report a problem as USER; the last line is the case number."""
        def do(session, runtime):
            user = _user(session, username)
            data = forms.ReportSchema().load(payload)
            case, created = cases.report(session, runtime, directory(), user=user, data=data)
            return case.case_no, created
        case_no, created = run(do)
        if not created:
            click.echo("already reported (same channel and external_ref)")
        click.echo(case_no)

    @cases_group.command("show")
    @click.argument("case_no")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's case format).")
    def cases_show(case_no, as_json):
        """Show a case."""
        def do(session, runtime):
            case = cases.get_by_no(session, case_no)
            if case is None:
                raise instances.NotFound(f"no case {case_no}")
            return case_json(session, runtime, directory(), case)
        data = run(do)
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            for key, value in data.items():
                click.echo(f"{key}: {value}")

    @tasks_group.command("list")
    @click.option("--user", "username")
    @click.option("--case", "case_no")
    @click.option("--json", "as_json", is_flag=True)
    def tasks_list(username, case_no, as_json):
        """Open tasks (those USER may complete, if given), newest first."""
        def do(session, runtime):
            user = _user(session, username) if username else None
            return [task_json(t, c) for t, c in worklist.list_tasks(session, directory(), user=user,
                                                                     case_no=case_no)]
        rows = run(do)
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            for row in rows:
                click.echo(f"{row['id']} {row['case_no']} {row['step']} {row['role']}@{row['unit']}")

    @tasks_group.command("complete")
    @click.argument("task_id")
    @click.option("--user", "username", required=True)
    @click.option("--json", "payload", required=True, type=_json_arg)
    def tasks_complete(task_id, username, payload):
        """Complete an open task as USER with the step's form fields."""
        def do(session, runtime):
            user = _user(session, username)
            case = worklist.complete(session, runtime, directory(), user=user, task_id=task_id, data=payload)
            return case.case_no, case.status
        case_no, status = run(do)
        click.echo(f"{case_no} {status}")

    @audit_group.command("verify")
    @click.argument("case_no", required=False)
    @click.option("--all", "everything", is_flag=True, help="Every case, with a progress bar.")
    def audit_verify(case_no, everything):
        """Check the hash chains and replay cases; exit 0 only if everything verifies."""
        if bool(case_no) == bool(everything):
            raise click.UsageError("give a case number or --all")
        def do(session, runtime):
            numbers = [case_no] if case_no else audit.all_case_numbers(session)
            failures = []
            bar = tqdm(numbers, desc="verifying", unit="case", disable=not everything)
            for number in bar:
                result = audit.verify_case(session, runtime, number)
                if not result.ok:
                    failures.append(result)
            return len(numbers), failures, audit.verify_system(session)
        count, failures, system = run(do)
        for failure in failures:
            click.echo(f"{failure.case_no}: {failure.problem}")
        if not system.ok:
            click.echo(f"system log: {system.problem}")
        click.echo(f"{count - len(failures)} of {count} cases verified" + ("" if system.ok else ", system log broken"))
        if failures or not system.ok:
            raise SystemExit(1)

    @click.command("recompute")
    @click.argument("year", type=int)
    @with_appcontext
    def calendar_recompute(year):
        """After adding calendar/YEAR.toml: recompute the provisional deadlines of YEAR."""
        calendar = workcalendar.get_calendar(current_app, reload=True)
        if year not in calendar.official_years():
            raise click.ClickException(f"calendar/{year}.toml is missing: no official data for {year} yet")
        rows = run(lambda session, runtime: deadlines.recompute_provisional(session, runtime, calendar, year))
        for case_no, old, new, provisional in rows:
            click.echo(f"{case_no}: {old} -> {new}{' provisional' if provisional else ''}")
        click.echo(f"{len(rows)} deadlines recomputed")

    for group in (demo_group, cases_group, tasks_group, audit_group):
        app.cli.add_command(group)
    app.cli.commands["calendar"].add_command(calendar_recompute)
