"""`cases report` and `cases show`, end to end on the whole product (`city`: migrated, processes
deployed, Xiamen demo loaded), on SQLite and PostgreSQL."""
import json

from sqlalchemy import func, select

from engine.models import Event
from handlers.cases.models import Case
from tests.commandline import GRID_USER, REPORT, last, refused, report, run, show

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



BAD_INPUT = [
    (["cases", "show", "2026030299999", "--json"], "no case 2026030299999"),
    (["cases", "report", "--user", GRID_USER, "--json", json.dumps({**REPORT, "category": "999999"})], "category"),
    (["cases", "report", "--user", GRID_USER, "--json", json.dumps({**REPORT, "grid": "35020301100399"})], "grid"),
    (["cases", "report", "--user", GRID_USER, "--json", json.dumps({**REPORT, "shoe_size": 44})], "shoe_size"),
    (["cases", "report", "--user", "officer-350203", "--json", json.dumps({**REPORT, "fixed_on_spot": True})],
     "fixed_on_spot"),
    (["cases", "report", "--user", GRID_USER, "--json", "{"], "not JSON"),
    (["cases", "report", "--json", json.dumps(REPORT)], "--user"),
    (["cases", "report", "--user", "nobody", "--json", json.dumps(REPORT)], "unknown user"),
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


