"""The OpenAPI document (generated from the marshmallow schemas), the browsable page served from
local files, JSON errors on unknown paths, and a schemathesis run against the live server that
must find no server error, no undocumented status, no answer off its schema and (on the endpoints
whose rules the document can state) no schema-valid request refused."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.org.models import Unit

from handlers.cases import service as cases
from handlers.cases.schemas import case_json
from handlers.worklist import service as worklist
from handlers.worklist.schemas import task_json
from tests.helpers import CASE_KEYS, TASK_KEYS
from tests.api.httpapi import assert_error, form_photos, jpeg
from tests.helpers import SEWAGE

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
ROOT = Path(__file__).resolve().parents[2]
CAMERA = "XM-SM-0012"
POSITIVE = object()     # a run that also asserts every schema-valid request is accepted
PERIODS = ("evaluation", "evaluation_export", "unit_evaluation", "city_map")
# What the document promises and a server error; positive_data_acceptance ("schema-valid request
# rejected") is added where the document can say every rule (see the runs).
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance,negative_data_rejection,unsupported_method,missing_required_header")


def test_document_page_shapes_and_json_errors(api):
    anonymous = api.anonymous()
    document = anonymous.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.") and document["info"]["title"] == "citygrid API"
    paths = document["paths"]
    assert {"/api/v1/cases", "/api/v1/cases/{case_no}", "/api/v1/cases/{case_no}/events", "/api/v1/tasks",
            "/api/v1/tasks/{task_id}/complete", "/api/v1/intake/{channel}", "/api/v1/intake/video",
            "/api/v1/auth/token", "/api/v1/calendar/deadline", "/api/v1/cases/{case_no}/photos",
            "/api/v1/dashboard"} <= set(paths)
    assert set(paths["/api/v1/cases"]) == {"get", "post"}
    schemas = document["components"]["schemas"]
    # From the marshmallow schemas: the report form's fields and rules, every task form, the error shape.
    report = schemas["StaffReport"]["properties"]
    assert report["category"]["pattern"] == r"^[12]0\d{4}$"
    assert report["suggested_urgency"]["enum"][:3] == ["A", "B", "C"]
    assert {"AcceptReport", "Dispatch", "Handle", "Review", "CheckResult", "CloseCase", "Error"} <= set(schemas)
    assert "占道经营" in schemas["VideoForm"]["properties"]["violation"]["enum"]
    assert set(paths["/api/v1/intake/{channel}"]["post"]["parameters"][0]["schema"]["enum"]) == {
        "hotline12345", "transfer110", "wechat", "web"}
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"

    page = anonymous.get("/api/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text and "//cdn" not in page.text
    bundle = anonymous.get("/api/docs/swagger/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert anonymous.get("/api/docs/static/docs.js").status_code == 200
    assert_error(anonymous.get("/api/docs/swagger/package.json"), 404)

    assert_error(anonymous.get("/api/v1/no-such-thing"), 404)
    not_allowed = anonymous.request("PUT", "/api/v1/cases")
    assert assert_error(not_allowed, 405)["error"] and "POST" in not_allowed.headers["Allow"]
    documented_shapes_match_the_serializers(api)


def documented_shapes_match_the_serializers(api):
    """The document's Case and Task, and what the services answer, are the published shapes."""
    case_no = api.as_user("grid-35020301100301").post("/api/v1/cases", json=SEWAGE).json()["case_no"]
    document = api.anonymous().get("/api/openapi.json").json()["components"]["schemas"]

    def keys(session):
        case = cases.get_by_no(session, case_no)
        task, owner = worklist.list_tasks(session, api.city.directory, case_no=case_no)[0]
        return set(case_json(session, api.city.runtime, api.city.directory, case)), set(task_json(task, owner))
    case_keys, task_keys = api.city.work(keys)
    assert set(document["Case"]["properties"]) == case_keys == CASE_KEYS
    assert set(document["Task"]["properties"]) == task_keys == TASK_KEYS


def schemathesis(api, tmp_path, token, *selection, checks=CHECKS):
    """Run schemathesis on the live document as one caller; returns (exit code, output)."""
    command = [str(SCHEMATHESIS), "run", f"{api.base}/api/openapi.json", "-H", f"Authorization: Bearer {token}",
               "--checks", checks, "--max-examples", "5",
               "--seed", "20260302", "--generation-database", "none", "--workers", "2", "--no-color",
               "--request-timeout", "20", "--report-dir", str(tmp_path / "report"), *selection]
    environment = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
                   "CITYGRID_ST_CODES": str(tmp_path / "codes.json"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=150, env=environment)
    return done.returncode, done.stdout + done.stderr


def real_codes(api, path):
    """The test city's units by kind, and its camera, for the hooks (tests/api/schemathesis_hooks.py)."""
    units = api.city.work(lambda session: list(session.execute(select(Unit.code, Unit.kind).order_by(Unit.code))))
    codes = {kind: [code for code, of in units if of == kind] for kind in ("community", "grid")}
    path.write_text(json.dumps({**codes, "unit": [code for code, _ in units], "camera": [CAMERA]}))


def test_schemathesis_finds_no_server_errors_and_no_valid_request_refused(api, tmp_path):
    if not SCHEMATHESIS.exists():
        pytest.fail("schemathesis is not installed (scripts/setup --dev installs requirements-dev.txt)")
    # Something to read and complete, so that the linked operations get past 404.
    for _ in range(2):
        api.as_user("grid-35020301100301").post("/api/v1/cases", data=SEWAGE, files=form_photos(jpeg()))
    api.cli("cameras", "add", CAMERA, "--name", "明发商业广场东门", "--grid", "35020301100301",
            "--lat", "24.4853", "--lng", "118.1220")
    real_codes(api, tmp_path / "codes.json")
    intake = api.login("intake")
    # Not schemathesis's coverage phase: it fails now and then inside schemathesis itself (an
    # AssertionError in its negative-value generation, whatever the server answered).
    runs = [
        # Every request the document calls valid is accepted (positive_data_acceptance: no 400/422),
        # but where validity depends on state the document cannot know: the task's step and where
        # its case stands (a task's body is the form of its own step, a unit below the holder, an
        # open case to merge into; tests/api/test_api_tasks.py), and the evaluation's and the map's
        # from/to (to not before from). Those are checked without it in the next run.
        (intake, "--exclude-operation-id", "logout", "--exclude-operation-id", "intake_report",
         "--exclude-operation-id", "intake_video", "--exclude-operation-id", "complete_task",
         *(arg for name in PERIODS for arg in ("--exclude-operation-id", name)),
         "--phases", "examples,fuzzing,stateful", POSITIVE),
        (intake, "--include-operation-id", "complete_task",
         *(arg for name in PERIODS for arg in ("--include-operation-id", name)), "--phases", "examples,fuzzing"),
        # One operation alone has no links to follow: no stateful phase (and its boundary values are
        # covered by the first run's schemas: the same report fields).
        (api.as_client("hotline", "hotline12345").token, "--include-operation-id", "intake_report",
         "--phases", "examples,fuzzing", POSITIVE),
        (api.as_client("camera-ai", "video").token, "--include-operation-id", "intake_video",
         "--phases", "examples,fuzzing", POSITIVE),
    ]
    for token, *selection in runs:
        checks = CHECKS + ",positive_data_acceptance" if selection[-1] is POSITIVE else CHECKS
        code, output = schemathesis(api, tmp_path, token, *(a for a in selection if a is not POSITIVE), checks=checks)
        assert code == 0, output[-6000:]
        assert "Server error" not in output and "Schema-valid request rejected" not in output
