"""Video detection: registered cameras, a case per violation and camera while it is open, further
detections attached to it (snapshot and timeline event), retries of an event changing nothing, and
a detection that lost a race tried again by the API rather than refused."""
import threading

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.models import Instance
from tests.api.httpapi import assert_error, form_photos, jpeg, png

CAMERA = "XM-SM-0012"


def detection(event_id, violation="占道经营", **extra):
    return {"camera": CAMERA, "violation": violation, "event_id": event_id, **extra}


def register_cameras(api):
    added = api.cli("cameras", "add", CAMERA, "--name", "明发商业广场东门", "--grid", "35020301100301",
                    "--lat", "24.4853", "--lng", "118.1220")
    assert added.exit_code == 0, added.output
    assert api.cli("cameras", "list").output.strip() == f"{CAMERA} 35020301100301 24.4853 118.122 明发商业广场东门"
    for args in ((CAMERA, "--grid", "35020301100301"),                   # taken
                 ("XM-2", "--grid", "350203011003"),                     # a community, not a grid
                 ("bad code", "--grid", "35020301100301")):
        result = api.cli("cameras", "add", *args, "--name", "x", "--lat", "24.4", "--lng", "118.1")
        assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1, result.output
    assert api.cli("cameras", "add", "XM-3", "--name", "x", "--grid", "35020301100301", "--lat", "91",
                   "--lng", "118").exit_code != 0


def test_repeated_detections_attach_to_the_open_case(api):
    api.cli("cameras", "add", CAMERA, "--name", "明发商业广场东门", "--grid", "35020301100301",
            "--lat", "24.4853", "--lng", "118.1220")
    detector = api.as_client("video-ai", "video")
    first = detector.post("/api/v1/intake/video", data=detection("ev-1", confidence="0.93"),
                          files=form_photos(jpeg(), field="snapshot"))
    assert first.status_code == 201, first.text
    case = first.json()
    assert (case["channel"], case["category"], case["grid"], case["community"], case["lat"]) == (
        "video", "200509", "35020301100301", "350203011003", 24.4853)
    assert case["external_ref"] == f"{CAMERA}/ev-1" and "占道经营" in case["description"]

    again = detector.post("/api/v1/intake/video", data=detection("ev-2", violation="road_occupying_business"),
                          files=form_photos(png(), field="snapshot"))
    assert again.status_code == 200 and again.json()["case_no"] == case["case_no"]
    retry = detector.post("/api/v1/intake/video", data=detection("ev-2"), files=form_photos(png(), field="snapshot"))
    assert retry.status_code == 200 and retry.json()["case_no"] == case["case_no"]
    photos = detector.get(f"/api/v1/cases/{case['case_no']}/photos").json()["photos"]
    assert [(p["kind"], p["content_type"]) for p in photos] == [("snapshot", "image/jpeg"), ("snapshot", "image/png")]
    seen = [e for e in detector.get(f"/api/v1/cases/{case['case_no']}/events").json() if e["kind"] == "video_detected"]
    assert [(e["data"]["event_id"], e["data"]["filed"], e["actor"]) for e in seen] == [
        ("ev-1", True, "client:video-ai"), ("ev-2", False, "client:video-ai")]
    assert seen[0]["data"]["confidence"] == 0.93 and seen[0]["at"].endswith("+08:00")

    # Another violation at the same camera is another case.
    garbage = detector.post("/api/v1/intake/video", data=detection("ev-3", violation="垃圾满溢"),
                            files=form_photos(jpeg(), field="snapshot"))
    assert garbage.status_code == 201 and garbage.json()["category"] == "200601"

    # Once the case has ended (voided here), the same violation files a new one.
    intake = api.as_user("intake")
    task = next(t for t in intake.get(f"/api/v1/tasks?case={case['case_no']}").json())
    assert intake.post(f"/api/v1/tasks/{task['id']}/complete",
                       json={"decision": "void", "reason": "误报"}).json()["status"] == "voided"
    later = detector.post("/api/v1/intake/video", data=detection("ev-4"), files=form_photos(jpeg(), field="snapshot"))
    assert later.status_code == 201 and later.json()["case_no"] not in (case["case_no"], garbage.json()["case_no"])


def test_cameras_and_bad_detections(api):
    register_cameras(api)
    detector = api.as_client("video-ai", "video")
    def snapshot():
        return form_photos(jpeg(), field="snapshot")
    cases = [
        (detection("e1", camera="NOPE"), snapshot, 422, "camera"),
        (detection("e2", violation="闯红灯"), snapshot, 422, "violation"),
        (detection("e3"), None, 422, "snapshot"),
        (detection("e4"), [("snapshot", ("a.jpg", b"GIF89a....", "image/jpeg"))], 422, "snapshot"),
        (detection("e5", detected_at="1900-01-01T00:00:00"), snapshot, 422, "detected_at"),
        (detection("e 6"), snapshot, 422, "event_id"),
        ({"camera": CAMERA}, snapshot, 422, "violation"),
    ]
    for data, files, status, field in cases:
        files = files() if callable(files) else files
        body = assert_error(detector.post("/api/v1/intake/video", data=data, files=files), status)
        assert field in body["errors"], (data, body)
    assert_error(detector.post("/api/v1/intake/video", json=detection("e7")), 400)
    assert_error(api.as_client("hotline", "hotline12345").post("/api/v1/intake/video", data=detection("e8"),
                                                                files=snapshot()), 403)
    assert api.as_user("intake").get("/api/v1/cases").json()["total"] == 0


def test_a_detection_that_meets_a_step_saved_meanwhile_is_tried_again_not_refused(api):
    """While a detection is being attached to its open case, 受理审核 of that case completes and
    commits (PostgreSQL: between the detection's read of the case and its version-checked write).
    The detection loses that race; it is idempotent, so the API runs it again on the fresh state
    instead of answering 409. (On SQLite writers never overlap: nothing is saved meanwhile.)"""
    if api.city.db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers: no step is saved while a detection is attached")
    api.cli("cameras", "add", CAMERA, "--name", "明发商业广场东门", "--grid", "35020301100301",
            "--lat", "24.4853", "--lng", "118.1220")
    detector = api.as_client("video-ai", "video")
    first = detector.post("/api/v1/intake/video", data=detection("ev-1"), files=form_photos(jpeg(), field="snapshot"))
    case_no = first.json()["case_no"]
    armed, meanwhile = [True], []

    def complete_meanwhile(session, flush_context, instances_):
        if armed[0] and any(isinstance(o, Instance) for o in session.dirty):
            armed[0] = False
            other = threading.Thread(target=lambda: meanwhile.append(api.city.complete(
                case_no, "accept_report", "intake", decision="file", urgency="B")))
            other.start()
            other.join(30)
    event.listen(Session, "before_flush", complete_meanwhile)
    try:
        again = detector.post("/api/v1/intake/video", data=detection("ev-2"),
                              files=form_photos(png(), field="snapshot"))
    finally:
        event.remove(Session, "before_flush", complete_meanwhile)
    assert meanwhile == ["dispatching"] and not armed[0]
    assert again.status_code == 200 and again.json()["case_no"] == case_no, again.text
    kinds = [e["kind"] for e in detector.get(f"/api/v1/cases/{case_no}/events").json()]
    assert kinds.count("video_detected") == 2 and kinds.count("task_completed") == 1
    assert len(detector.get(f"/api/v1/cases/{case_no}/photos").json()["photos"]) == 2
