"""The published command line (handlers/cli.py with engine/cli.py), end to end on the whole product
(`city`: migrated, processes deployed, Xiamen demo loaded), on SQLite and PostgreSQL."""
import json

import pytest
from sqlalchemy import func, select, text

from engine import events
from engine.models import Deployment, Event
from handlers.cases import service as cases
from handlers.cases.models import Case

GRID_USER = "grid-35020301100301"
REPORT = {"channel": "grid", "category": "200115", "description": "明发商业广场台球馆门口污水横流",
          "address": "思明区嘉莲街道明发商业广场", "grid": "35020301100301"}


@pytest.fixture
def cli(city):
    return city.app.test_cli_runner()


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


def test_report_show_list_and_complete(city, cli):
    run(cli, "clock", "set", "2026-03-02T16:05")
    case_no = report(cli)
    assert case_no.startswith("20260302") and len(case_no) == 13
    shown = show(cli, case_no)
    assert {"case_no", "status", "category", "urgency", "filed_at", "due_at", "due_provisional", "holder_unit",
            "overdue", "penalties", "open_tasks"} <= set(shown)
    assert (shown["case_no"], shown["status"], shown["category"]) == (case_no, "accepting", "200115")
    assert (shown["urgency"], shown["filed_at"], shown["due_at"]) == (None, None, None)
    assert shown["overdue"] is False and shown["penalties"] == []
    [task] = shown["open_tasks"]
    assert set(task) == {"id", "step", "unit", "role"}
    assert (task["step"], task["role"], task["unit"]) == ("accept_report", "intake", "350200")

    listed = json.loads(run(cli, "tasks", "list", "--user", "intake", "--json").stdout)
    assert [(t["id"], t["case_no"], t["step"]) for t in listed] == [(task["id"], case_no, "accept_report")]
    assert json.loads(run(cli, "tasks", "list", "--user", "dispatcher", "--json").stdout) == []
    assert [t["id"] for t in json.loads(run(cli, "tasks", "list", "--case", case_no, "--json").stdout)] == [task["id"]]

    run(cli, "clock", "set", "2026-03-02T16:10")
    result = run(cli, "tasks", "complete", task["id"], "--user", "intake", "--json", '{"decision":"file","urgency":"A"}')
    assert last(result) == f"{case_no} dispatching"
    shown = show(cli, case_no)
    assert (shown["status"], shown["urgency"], shown["holder_unit"]) == ("dispatching", "A", "350200")
    assert (shown["filed_at"], shown["due_at"], shown["due_provisional"]) == (
        "2026-03-02T16:10:00+08:00", "2026-03-03T16:10:00+08:00", False)
    assert [(t["step"], t["role"], t["unit"]) for t in shown["open_tasks"]] == [("dispatch", "dispatcher", "350200")]
    # the plain listing: one line per task
    assert last(run(cli, "tasks", "list", "--user", "dispatcher")).endswith(f"{case_no} dispatch dispatcher@350200")
    assert f"case_no: {case_no}" in run(cli, "cases", "show", case_no).stdout

    # a report is idempotent on channel + external_ref
    hotline = dict(channel="hotline12345", external_ref="12345-0001", grid=None, community="350203011003")
    first = report(cli, **hotline)
    result = run(cli, "cases", "report", "--user", GRID_USER, "--json", json.dumps({**REPORT, **hotline}))
    assert last(result) == first != case_no and "already reported" in result.stdout


REFUSED_COMPLETIONS = [
    ("dispatcher", '{"decision":"file","urgency":"A"}', "may not complete"),        # wrong role
    ("officer-350203", '{"decision":"file","urgency":"A"}', "may not complete"),    # wrong role and unit
    ("nobody", '{"decision":"file","urgency":"A"}', "unknown user 'nobody'"),
    ("intake", '{"decision":"file","urgency":"A","colour":"red"}', "colour"),      # unknown field
    ("intake", '{"decision":"file"}', "urgency"),                                   # required when filing
    ("intake", '{"decision":"file","urgency":"Z"}', "urgency"),
    ("intake", '{"decision":"shred"}', "decision"),
    ("intake", '{"decision":"merge","duplicate_of":"2026030299999"}', "duplicate_of"),
    ("intake", '{"decision": "file", "urgency": "A"', "not JSON"),                   # bad JSON
    ("intake", '["decision", "file"]', "JSON object"),
]


def test_a_refused_completion_says_why_in_one_line_and_changes_nothing(city, cli, subtests):
    run(cli, "clock", "set", "2026-03-02T16:05")
    case_no = report(cli)
    task_id = show(cli, case_no)["open_tasks"][0]["id"]
    before = state(city, case_no)
    for user, payload, message in REFUSED_COMPLETIONS:
        with subtests.test(user=user, payload=payload):
            error = refused(cli.invoke(args=["tasks", "complete", task_id, "--user", user, "--json", payload]))
            assert message in error
            assert state(city, case_no) == before
            assert show(cli, case_no)["open_tasks"][0]["id"] == task_id
    # a refusal by the service layer is the whole output: one line
    result = cli.invoke(args=["tasks", "complete", task_id, "--user", "dispatcher", "--json",
                              '{"decision":"file","urgency":"A"}'])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    result = cli.invoke(args=["tasks", "complete", task_id, "--user", "intake", "--json",
                              '{"decision":"file","urgency":"A","colour":"red"}'])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("Error: invalid input: colour: ")


BAD_INPUT = [
    (["tasks", "complete", "00000000-0000-0000-0000-000000000000", "--user", "intake", "--json", "{}"], "no open task"),
    (["tasks", "complete", "not-a-task", "--user", "intake", "--json", "{}"], "no open task"),
    (["cases", "show", "2026030299999", "--json"], "no case 2026030299999"),
    (["cases", "report", "--user", GRID_USER, "--json", json.dumps({**REPORT, "category": "999999"})], "category"),
    (["cases", "report", "--user", GRID_USER, "--json", json.dumps({**REPORT, "grid": "35020301100399"})], "grid"),
    (["cases", "report", "--user", GRID_USER, "--json", json.dumps({**REPORT, "shoe_size": 44})], "shoe_size"),
    (["cases", "report", "--user", "officer-350203", "--json", json.dumps({**REPORT, "fixed_on_spot": True})],
     "fixed_on_spot"),
    (["cases", "report", "--user", GRID_USER, "--json", "{"], "not JSON"),
    (["cases", "report", "--json", json.dumps(REPORT)], "--user"),
    (["tasks", "list", "--user", "nobody"], "unknown user"),
    (["audit", "verify"], "give a case number or --all"),
    (["audit", "verify", "2026030200001", "--all"], "give a case number or --all"),
]


def test_bad_input_exits_nonzero_with_one_line(city, cli, subtests):
    def count(session):
        return session.scalar(select(func.count()).select_from(Event)), session.scalar(
            select(func.count()).select_from(Case))
    before = city.work(count)
    for args, message in BAD_INPUT:
        with subtests.test(args=" ".join(args[:3])):
            assert message in refused(cli.invoke(args=args))
            assert city.work(count) == before


def test_timers_sweep_fires_what_is_due_at_the_clock(city, cli):
    case_no = filed(city, cli)                      # due Tue 16:10, warning Tue 14:46
    run(cli, "clock", "set", "2026-03-03T14:45")
    assert last(run(cli, "timers", "sweep")) == "0 timers fired"
    run(cli, "clock", "set", "2026-03-03T16:10")
    assert last(run(cli, "timers", "sweep")) == "2 timers fired"
    assert last(run(cli, "timers", "sweep")) == "0 timers fired"
    shown = show(cli, case_no)
    assert shown["overdue"] is True
    assert [(p["unit"], p["points"], p["reason"], p["at"]) for p in shown["penalties"]] == [
        ("350200", 1.0, "overdue", "2026-03-03T16:10:00+08:00")]
    assert sorted(t["step"] for t in shown["open_tasks"]) == ["dispatch", "supervise"]
    assert last(run(cli, "audit", "verify", case_no)) == "1 of 1 cases verified"

    # the newest event (the penalty: a record, not an input replay would miss) removed
    def remove_newest(session):
        case = cases.get_by_no(session, case_no)
        stream = events.get_stream(session, events.instance_stream(case.instance_id))
        assert stream[-1].kind == "penalty"
        session.execute(text("DELETE FROM events WHERE id = :i"), {"i": stream[-1].id})
    city.work(remove_newest)
    result = cli.invoke(args=["audit", "verify", case_no])
    assert result.exit_code == 1, result.output
    assert result.stdout.strip().splitlines()[-1] == "0 of 1 cases verified"
    assert "hash chain broken" in result.stdout and "not at its recorded head" in result.stdout


def test_audit_verify_one_and_all_then_a_tampered_event(city, cli):
    case_no = filed(city, cli)
    second = report(cli)
    assert run(cli, "audit", "verify", case_no).stdout.strip().splitlines()[-1] == "1 of 1 cases verified"
    assert last(run(cli, "audit", "verify", "--all")) == "2 of 2 cases verified"

    def tamper(session):
        case = cases.get_by_no(session, case_no)
        session.execute(text("UPDATE events SET data = :d WHERE instance_id = :i AND kind = 'task_completed'"),
                        {"d": json.dumps({"task_id": "x", "form": {"decision": "void", "reason": "x"}}),
                         "i": case.instance_id})
    city.work(tamper)
    result = cli.invoke(args=["audit", "verify", case_no])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "0 of 1 cases verified"
    assert any(line.startswith(f"{case_no}: hash chain broken") and "altered" in line for line in lines)
    result = cli.invoke(args=["audit", "verify", "--all"])
    assert result.exit_code == 1 and result.stdout.strip().splitlines()[-1] == "1 of 2 cases verified"
    assert result.stdout.count(case_no) == 1 and second not in result.stdout
    assert last(run(cli, "audit", "verify", second)) == "1 of 1 cases verified"

    # the system log (deployments, clock changes) is checked too
    city.work(lambda s: s.execute(text("UPDATE events SET actor = 'mallory' WHERE stream = 'system' AND seq = 1")))
    result = cli.invoke(args=["audit", "verify", second])
    assert result.exit_code == 1
    assert "system log: event #1 of system (deployed) was altered" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "1 of 1 cases verified, system log broken"


def test_db_upgrade_and_demo_load_are_idempotent(city, cli):
    def snapshot(session):
        return (list(session.execute(select(Deployment.id, Deployment.hash)).all()),
                [(e.seq, e.kind) for e in events.get_stream(session, events.SYSTEM)],
                session.execute(text("SELECT version_num FROM alembic_version")).scalars().all(),
                session.execute(text("SELECT count(*) FROM units")).scalar(),
                session.execute(text("SELECT count(*) FROM users")).scalar())
    before = city.work(snapshot)                   # the fixture already upgraded and loaded once
    assert [kind for _, kind in before[1]] == ["deployed"]
    sample_cases = []
    for _ in range(2):
        result = run(cli, "db", "upgrade")
        assert result.stdout.strip().splitlines() == [
            f"process case_handling: version {before[0][0][0]} ({before[0][0][1][:12]})", "database is up to date"]
        lines = run(cli, "demo", "load").stdout.strip().splitlines()
        assert lines[0] == "0 units and 0 users added (password: demo)"
        sample_cases.append(lines[-1])
    assert sample_cases == ["5 sample cases added", "0 sample cases added"]   # only into an empty database
    assert city.work(snapshot) == before
