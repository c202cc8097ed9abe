"""handlers.process.lint: a diagram that breaks the contract with the code is refused on the
element concerned: a variable the code reads that the diagram sets nowhere, a step with an unknown
form or case status."""
import pytest

from engine import deployments
from tests import deployment_files
from tests.deployment_files import bpmn_replaced

SCRIPT = '''due_at, warn_at, due_provisional = case_deadline(filed_at, time_limit, warning_share)'''


def refused(city, files):
    with pytest.raises(deployments.DeploymentError) as err:
        city.work(lambda s: deployments.deploy(s, city.runtime, files=files, process_id="case_handling",
                                               actor="owner"))
    return [(p.element, p.message) for p in err.value.problems]


def test_the_shipped_diagram_keeps_the_contract(city):
    from handlers.process import contract, lint
    spec, subprocess_specs = city.runtime.specs(city.work(lambda s: deployments.latest(s, "case_handling")))
    assert lint.check_contract(spec, subprocess_specs) == []
    assert {v for v in contract.VARIABLES if contract.VARIABLES[v].required} <= lint.written_variables(
        spec, subprocess_specs)


def test_a_variable_the_code_reads_that_the_diagram_never_sets(city):
    files = bpmn_replaced(SCRIPT, "due_at, due_provisional = case_deadline(filed_at, time_limit, warning_share)[::2]")
    problems = refused(city, files)
    assert problems == [("case_handling", "the diagram never sets warn_at (when the yellow light comes on), "
                                          "which the code reads")]


def test_the_holder_that_visibility_and_penalties_stand_on(city):
    text = deployment_files.shipped()["case_handling.bpmn"].decode()
    files = deployment_files.shipped()
    files["case_handling.bpmn"] = text.replace("holder = ", "keeper = ").encode()
    assert ("case_handling", "the diagram never sets holder (the unit holding the case now: it sees the case "
                             "and overdue penalties fall on it), which the code reads") in refused(city, files)


def test_a_step_with_an_unknown_case_status(city):
    files = bpmn_replaced('<spiffworkflow:property name="status" value="dispatching"/>',
                          '<spiffworkflow:property name="status" value="Event_0qq9il3"/>')
    [(element, message)] = refused(city, files)
    assert element == "dispatch" and message.startswith("user task sets case status 'Event_0qq9il3'; known statuses:")


def test_the_shift_leads_parallel_step_may_carry_its_own_status(city):
    text = deployment_files.shipped()["case_handling.bpmn"].decode()
    assert '<spiffworkflow:property name="status" value="supervising"/>' in text   # not a case status, and fine


def test_a_table_keyed_on_category_and_urgency_answers_every_pair(city):
    """Without its default B row the time-limit table answers B only for the categories with a B rule
    of their own: the lint's categories are named with B, and so is 打包垃圾, named by the table for
    C only; removing every C is said once."""
    from handlers.process import lint
    text = deployment_files.shipped()["time_limit.dmn"].decode()
    head, rest = text.split('<rule id="time_limit_rule_2">', 1)
    files = {**deployment_files.shipped(), "time_limit.dmn": (head + rest.split("</rule>", 1)[1]).encode()}
    assert refused(city, files) == [("time_limit", f"decision table has no rule for category = {code!r}, urgency = 'B'")
                                    for code in (*lint.COVERAGE["category"], "200603")]
    files["time_limit.dmn"] = text.replace('"C"', '"D"').encode()
    assert refused(city, files) == [("time_limit", "decision table has no rule for urgency = 'C'")]
