"""Driving the published command line in tests: run a command and read its last line, check a
refusal (non-zero, one line, no traceback), report and show cases, file one, and the state a
refused command must leave as it was."""
import json

from sqlalchemy import func, select, text

from engine.models import Event
from handlers.cases import service as cases

GRID_USER = "grid-35020301100301"
REPORT = {"channel": "grid", "category": "200115", "description": "明发商业广场台球馆门口污水横流",
          "address": "思明区嘉莲街道明发商业广场", "grid": "35020301100301"}


def run(cli, *args):
    result = cli.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def last(result):
    return result.stdout.strip().splitlines()[-1]


def refused(result):
    """Non-zero, no traceback, exactly one line of error message; returns that line."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    return errors[0]


def report(cli, **fields):
    return last(run(cli, "cases", "report", "--user", GRID_USER, "--json",
                    json.dumps({**REPORT, **fields}, ensure_ascii=False)))


def show(cli, case_no):
    return json.loads(run(cli, "cases", "show", case_no, "--json").stdout)


def state(city, case_no):
    """Everything a refused command must leave as it was."""
    def read(session):
        case = cases.get_by_no(session, case_no)
        return (case.status, case.urgency, session.scalar(select(func.count()).select_from(Event)),
                session.execute(text("SELECT version FROM instances WHERE id = :i"), {"i": case.instance_id}).scalar(),
                session.execute(text("SELECT count(*) FROM open_tasks")).scalar())
    return city.work(read)


def filed(city, cli):
    """A case reported at 16:05 and filed as A at 16:10 on 2026-03-02, through the CLI."""
    run(cli, "clock", "set", "2026-03-02T16:05")
    case_no = report(cli)
    run(cli, "clock", "set", "2026-03-02T16:10")
    task = [t for t in json.loads(run(cli, "tasks", "list", "--user", "intake", "--json").stdout)
            if t["case_no"] == case_no]
    assert [(t["step"], t["role"], t["unit"]) for t in task] == [("accept_report", "intake", "350200")]
    result = run(cli, "tasks", "complete", task[0]["id"], "--user", "intake", "--json",
                 '{"decision":"file","urgency":"A"}')
    assert last(result) == f"{case_no} dispatching"
    return case_no
