"""Migrating running cases between deployments, on the real default process."""
import pytest

from engine import deployments, instance_migration as migration, instances
from handlers.audit import verify as audit
from handlers.cases import service as cases
from tests import deployment_files
from tests.helpers import at

PROCESSES = deployment_files.PROCESSES


def deploy_with_b_limit(city, days):
    files = deployment_files.b_limit(days)
    return city.work(lambda s: deployments.deploy(s, city.runtime, files=files, process_id="case_handling",
                                                  actor="owner", note=f"B limit {days}"))


def deploy_with_penalty_points(city, overdue_points):
    files = {p.name: p.read_bytes() for p in PROCESSES.iterdir() if p.suffix in (".bpmn", ".dmn")}
    table = files["penalty_points.dmn"].decode()
    head, tail = table.split('"overdue"', 1)
    number = tail.split("<text>", 1)[1].split("</text>", 1)[0]
    tail = tail.replace(f"<text>{number}</text>", f"<text>{overdue_points}</text>", 1)
    files["penalty_points.dmn"] = (head + '"overdue"' + tail).encode()
    return city.work(lambda s: deployments.deploy(s, city.runtime, files=files, process_id="case_handling",
                                                  actor="owner", note="overdue costs more"))


def test_new_cases_start_on_the_new_version_running_ones_stay_and_can_be_migrated(city):
    city.set_clock("2026-03-02 09:00")
    filed_b = city.report()
    city.complete(filed_b, "accept_report", "intake", decision="file", urgency="B")
    waiting = city.report(description="尚未受理")
    new = deploy_with_b_limit(city, 3)

    fresh = city.report(description="新版本")
    city.complete(fresh, "accept_report", "intake", decision="file", urgency="B")
    assert city.show(fresh)["due_at"] == "2026-03-05T09:00:00+08:00"      # 3 working days
    assert city.show(filed_b)["due_at"] == "2026-03-04T09:00:00+08:00"    # still 2

    def plan(session):
        return {no: migration.check(instances.load(session, city.runtime, cases.get_by_no(session, no).instance_id,
                                                   actor="owner"), city.runtime, new)
                for no in (filed_b, waiting)}
    checks = city.work(plan)
    assert checks[waiting].ok
    assert not checks[filed_b].ok and any("time_limit" in r for r in checks[filed_b].reasons)

    def move(session):
        migration.migrate(session, city.runtime, cases.get_by_no(session, waiting).instance_id, new, actor="owner")
    city.work(move)
    city.complete(waiting, "accept_report", "intake", decision="file", urgency="B")
    assert city.show(waiting)["due_at"] == "2026-03-05T09:00:00+08:00"    # filed on the new version
    with pytest.raises(instances.Conflict):
        city.work(lambda s: migration.migrate(s, city.runtime, cases.get_by_no(s, filed_b).instance_id, new,
                                              actor="owner"))
    results = city.work(lambda s: [audit.verify_case(s, city.runtime, no) for no in (filed_b, waiting, fresh)])
    assert all(r.ok for r in results), results


def test_a_migrated_case_keeps_its_data_and_timers(city):
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    city.set_clock("2026-03-02 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    city.complete(case_no, "dispatch", "dispatcher", action="assign", unit="350203")
    new = deploy_with_penalty_points(city, "2")  # a table this case has not used yet

    def move(session):
        return migration.migrate(session, city.runtime, cases.get_by_no(session, case_no).instance_id, new,
                                 actor="owner").instance.deployment_id
    assert city.work(move) == new.id
    shown = city.show(case_no)
    assert shown["due_at"] == "2026-03-03T16:10:00+08:00" and shown["holder_unit"] == "350203"
    city.set_clock(at("2026-03-03 16:10"))
    city.sweep()
    assert [(p["reason"], p["points"]) for p in city.show(case_no)["penalties"]] == [("overdue", 2.0)]
    assert city.work(lambda s: audit.verify_case(s, city.runtime, case_no)).ok


def test_readable_diff_between_versions(city):
    new = deploy_with_b_limit(city, 3)
    old = city.work(lambda s: deployments.all_versions(s)[0])
    found = city.work(lambda s: deployments.diff(city.runtime, old, new))
    assert list(found["processes"]["case_handling"]["changed"]) == ["time_limit"]   # only the table's task
    assert found["processes"]["case_handling"]["added"] == [] and found["processes"]["case_handling"]["removed"] == []
    changed_rows = found["tables"]["time_limit"]["changed"]     # the default B row: any category ("-"), B
    assert [(v["before"], v["after"]) for v in changed_rows.values()] == [
        ((("-", '"B"'), ("2", "0.8")), (("-", '"B"'), ("3", "0.8")))]
    assert found["tables"]["penalty_points"] == {"added": {}, "removed": {}, "changed": {}}


def test_a_table_that_leaves_an_urgency_unanswered_is_not_deployed(city):
    files = {p.name: p.read_bytes() for p in PROCESSES.iterdir() if p.suffix in (".bpmn", ".dmn")}
    files["time_limit.dmn"] = files["time_limit.dmn"].replace(b'"C"', b'"D"')
    with pytest.raises(deployments.DeploymentError) as err:
        city.work(lambda s: deployments.deploy(s, city.runtime, files=files, process_id="case_handling", actor="owner"))
    assert [(p.element, p.message) for p in err.value.problems] == [
        ("time_limit", "decision table has no rule for urgency = 'C'")]


def test_an_unquoted_timer_literal_is_refused_on_its_element(city):
    bpmn = (PROCESSES / "case_handling.bpmn").read_text()
    assert ">warn_at<" in bpmn
    files = {p.name: p.read_bytes() for p in PROCESSES.iterdir() if p.suffix in (".bpmn", ".dmn")}
    files["case_handling.bpmn"] = bpmn.replace(">warn_at<", ">P2D<").encode()
    with pytest.raises(deployments.DeploymentError) as err:
        city.work(lambda s: deployments.deploy(s, city.runtime, files=files, process_id="case_handling", actor="owner"))
    assert [p.element for p in err.value.problems] == ["warning_timer"]
    assert '"P2D"' in err.value.problems[0].message


def test_the_state_after_an_earlier_event(city):
    from engine import events, replay
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    city.set_clock("2026-03-02 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    city.complete(case_no, "dispatch", "dispatcher", action="assign", unit="350203")

    def after(session, kind_index):
        case = cases.get_by_no(session, case_no)
        stream = events.get_stream(session, events.instance_stream(case.instance_id))
        workflow, deployment = replay.state_after(session, city.runtime, case.instance_id, stream[kind_index].seq)
        from SpiffWorkflow.util.task import TaskState
        return sorted(t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True))
    assert city.work(lambda s: after(s, 0)) == ["accept_report"]
    assert city.work(lambda s: after(s, 1)) == ["dispatch"]
