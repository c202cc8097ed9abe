"""Real third-party BPMN/DMN files and hostile ones (tests/data/deployments, README there for
sources and licences), each uploaded through `POST /api/v1/deployments` over real HTTP as an extra
file beside the shipped process: every file has its documented outcome, deployed or refused
naming the uploaded file and its element, and none gets a 500. One server (SQLite) for the set."""
import io
from pathlib import Path

import pytest

from engine import deployments
from tests.api.httpapi import Api
from tests.conftest import make_app, serving

CORPUS = Path(__file__).resolve().parents[1] / "data" / "deployments"
# Uploaded under another name: SpiffWorkflow's no-tasks.bpmn, its process renamed, replaces the case process.
UPLOAD_AS = {"hostile/no-tasks-as-case_handling.bpmn": "case_handling.bpmn"}

DEPLOYED = (
    "bpmn-io/simple.dmn", "camunda/loanApproval.bpmn", "camunda/message_start_process.bpmn", "hostile/aaa.bpmn",
    "spiffworkflow/ScriptTest.bpmn", "spiffworkflow/bool_decision.dmn", "spiffworkflow/boundary_timer_on_task.bpmn",
    "spiffworkflow/business_rules.dmn", "spiffworkflow/collect_hit.dmn", "spiffworkflow/dmn_version_20151101_test.dmn",
    "spiffworkflow/integer_decision_range_inclusive.dmn", "spiffworkflow/invalid_decision_name_error.dmn",
    "spiffworkflow/no-tasks.bpmn", "spiffworkflow/parallel_multiinstance_cardinality.bpmn",
    "spiffworkflow/prescript_postscript.bpmn", "spiffworkflow/string_decision.dmn", "spiffworkflow/timer-cycle.bpmn",
    "spiffworkflow/timer-date-start.bpmn", "spiffworkflow/timer-non-interrupt-boundary.bpmn",
    "spiffworkflow/timer.bpmn",
)
# file -> [(element or None, words of the engine's message)], every one of them reported
REFUSED = {
    "bpmn-io/empty-definitions.dmn": [(None, "defines no decision")],
    "bpmn-io/literal-expression.dmn": [("season", "one decision table")],
    "bpmn-io/no-decision-table.dmn": [("Decision_13nyxhf", "one decision table")],
    "bpmn-io/two-decisions.dmn": [("foo", "defines 2 decisions")],
    "camunda/dinnerDecisions.dmn": [("dish", "defines 2 decisions")],
    "camunda/synchronousServiceInvocation.bpmn": [("ServiceTask_1", "must have an operator")],
    "hostile/bpmn_saved_as.dmn": [(None, "not a DMN file")],
    "hostile/no-tasks-as-case_handling.bpmn": [("case_handling", "published step accept_report is missing"),
                                               ("case_handling", "end event voided is missing")],
    "hostile/no_decision.dmn": [(None, "defines no decision")],
    "hostile/noise_complaint.bpmn": [("noise_inspect", "imports are not allowed"),
                                     ("noise_wait", "'__import__' is not allowed"),
                                     ("noise_gateway", "condition: invalid syntax")],
    "hostile/root.bpmn": [(None, "not a BPMN file")],
    "hostile/zz_shadow.dmn": [("penalty_points", "defined twice: in penalty_points.dmn and in zz_shadow.dmn")],
    "spiffworkflow/InvalidDecision.bpmn": [("InvalidDecisionTaskId", "No DMN Diagram available")],
    "spiffworkflow/chapter-11-example.dmn": [(None, "DMN namespace must be the default")],
    "spiffworkflow/data_object_invalid.bpmn": [("generate_data", "Cannot resolve dataOutputAssociation")],
    "spiffworkflow/diagram-interchange-decision-service.dmn": [(None, "defines no decision")],
    "spiffworkflow/diagram-interchange-decision-with-listed-input-data.dmn": [("Decision_1", "one decision table")],
    "spiffworkflow/financial.dmn": [(None, "DMN namespace must be the default")],
    "spiffworkflow/invalid_cancel.bpmn": [("Activity_HowMany", "only be used with transactions")],
    "spiffworkflow/invalid_decision.dmn": [("InvalidDecisionId", "invalid syntax")],
    "spiffworkflow/loan-info.dmn": [(None, "DMN namespace must be the default")],
    "spiffworkflow/non-executable-process.bpmn": [("Process_14di7kj", "is not executable")],
    "spiffworkflow/parallel_multiinstance_invalid.bpmn": [("any_task", "exactly one of cardinality")],
    "spiffworkflow/standard_loop_invalid.bpmn": [("any_task", "loopMaximum or loopCondition")],
}


def test_every_file_of_the_corpus_has_its_outcome():
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*") if p.suffix in (".bpmn", ".dmn")}
    assert on_disk == set(DEPLOYED) | set(REFUSED) and not set(DEPLOYED) & set(REFUSED)


@pytest.fixture(scope="module")
def owner_api(tmp_path_factory):
    """One live server on SQLite for the whole corpus, and the owner's session."""
    from tests.helpers import City
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'city.db'}")
    city = City(app)
    city.setup()
    with serving(city):
        api = Api(city)
        yield api, api.as_user("owner")
        api.close()
    app.extensions["citygrid.db"].dispose()


def upload(session, relative):
    name = UPLOAD_AS.get(relative, Path(relative).name)
    data = (CORPUS / relative).read_bytes()
    return name, session.post("/api/v1/deployments", data={"note": f"corpus {relative}"},
                              files=[("files", (name, io.BytesIO(data), "application/xml"))])


@pytest.mark.parametrize("relative", DEPLOYED)
def test_a_file_that_parses_and_lints_deploys_as_an_extra_file(owner_api, relative):
    api, owner = owner_api
    name, answer = upload(owner, relative)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["created"] is True and body["current"] is True and name in body["files"]
    assert "case_handling.bpmn" in body["files"]


@pytest.mark.parametrize("relative", sorted(REFUSED))
def test_a_bad_file_is_refused_naming_the_uploaded_file_and_its_element(owner_api, relative):
    api, owner = owner_api
    before = api.city.work(lambda s: len(deployments.all_versions(s)))
    name, answer = upload(owner, relative)
    assert answer.status_code == 422, answer.text
    problems = answer.json()["errors"]
    for element, words in REFUSED[relative]:
        assert any(p["element"] == element and p["file"] == name and words in (p["detail"] or p["message"])
                   for p in problems), (element, words, problems)
    assert api.city.work(lambda s: len(deployments.all_versions(s))) == before      # nothing stored


def test_the_decoy_is_not_the_main_diagram(owner_api):
    """aaa.bpmn (sorted first, `id="case_handling"` in its documentation) is deployed beside the case
    process; the modeller's main file and a new case's diagram are still case_handling.bpmn."""
    api, owner = owner_api
    name, answer = upload(owner, "hostile/aaa.bpmn")
    assert answer.status_code in (200, 201), answer.text
    version = answer.json()["version"]
    from tests.web.conftest import Browser
    browser = Browser(api.city.app).login("owner")
    opened = browser.get(f"/process/versions/{version}.json").get_json()
    assert "aaa.bpmn" in opened["files"] and opened["main_file"] == "case_handling.bpmn"
    case_no = api.city.report()
    diagram = browser.get(f"/cases/{case_no}/diagram.json").get_json()
    assert diagram["filename"] == "case_handling.bpmn" and "decoy_start" not in diagram["xml"]
