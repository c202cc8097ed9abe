"""The engine's commands on the whole product: `timers sweep` at the clock's now (what it fires, and
the audit that sees a penalty record removed)."""
from sqlalchemy import text

from engine import events
from handlers.cases import service as cases
from tests.commandline import filed, last, run, show

def test_timers_sweep_fires_what_is_due_at_the_clock(city, cli):
    case_no = filed(city, cli)                      # due Tue 16:10, warning Tue 14:46
    run(cli, "clock", "set", "2026-03-03T14:45")
    assert last(run(cli, "timers", "sweep")) == "0 timers fired"
    run(cli, "clock", "set", "2026-03-03T16:10")
    swept = run(cli, "timers", "sweep")
    assert swept.stdout.splitlines() == ["1 instances, 0 conflicts, 0 skipped", "2 timers fired"]
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




def test_db_upgrade_with_a_bad_file_in_processes_says_so_on_one_line(city, cli, tmp_path):
    import shutil
    from tests.deployment_files import PROCESSES
    folder = tmp_path / "processes"
    shutil.copytree(PROCESSES, folder)
    (folder / "zz_shadow.dmn").write_bytes((PROCESSES / "penalty_points.dmn").read_bytes())
    city.app.config["CITYGRID_PROCESS_DIR"] = str(folder)
    result = cli.invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert "Traceback" not in result.output
    assert line.startswith("Error: zz_shadow.dmn:") and "penalty_points.dmn and in zz_shadow.dmn" in line
    assert "nothing deployed" in line
