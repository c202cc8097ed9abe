"""Video detection: registered cameras, a case per violation and camera while it is open, further
detections attached to it (snapshot and timeline event), retries of an event changing nothing."""
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
