"""`audit verify NO` and `audit verify --all`, end to end on the whole product, on SQLite and
PostgreSQL: what verifies, and every kind of tampering named."""
import json

from sqlalchemy import text

from handlers.cases import service as cases
from tests.commandline import filed, last, refused, report, run

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




def test_audit_verify_needs_a_case_number_or_all(city, cli, subtests):
    for args in (["audit", "verify"], ["audit", "verify", "2026030200001", "--all"]):
        with subtests.test(args=" ".join(args)):
            assert "give a case number or --all" in refused(cli.invoke(args=args))
