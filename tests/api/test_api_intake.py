"""External systems report through the API on their own channel only; the 12345 hotline's report
is then accepted and filed by the command center, as any other."""
from tests.api.httpapi import assert_error, form_photos, jpeg

HOTLINE_TICKET = {   # a citizen's call to 12345, as the hotline system forwards it
    "category": "200509", "description": "市民来电：嘉莲街道明发商业广场门口有人占道经营水果摊",
    "address": "思明区嘉莲街道明发商业广场", "community": "350203011003", "external_ref": "12345-20260302-0815",
    "suggested_urgency": "B",
}


def test_the_12345_hotline_files_through_the_api(api):
    hotline = api.as_client("hotline-xm", "hotline12345")
    first = hotline.post("/api/v1/intake/hotline12345", json=HOTLINE_TICKET)
    assert first.status_code == 201, first.text
    case = first.json()
    assert (case["channel"], case["external_ref"], case["reporter"], case["status"]) == (
        "hotline12345", "12345-20260302-0815", "client:hotline-xm", "accepting")
    retry = hotline.post("/api/v1/intake/hotline12345", json=HOTLINE_TICKET)
    assert retry.status_code == 200 and retry.json()["case_no"] == case["case_no"]

    # The command center sees it in its worklist and files it.
    intake = api.as_user("intake")
    task = next(t for t in intake.get("/api/v1/tasks").json() if t["case_no"] == case["case_no"])
    filed = intake.post(f"/api/v1/tasks/{task['id']}/complete", json={"decision": "file", "urgency": "B"})
    assert filed.status_code == 200 and filed.json()["status"] == "dispatching"

    # The hotline may follow up on what it reported (its call-back to the citizen), and nothing else.
    assert hotline.get(f"/api/v1/cases/{case['case_no']}").json()["status"] == "dispatching"
    assert hotline.get(f"/api/v1/cases/{case['case_no']}/events").status_code == 200
    own = api.as_user("grid-35020301100301").post("/api/v1/cases", json={
        "category": "200115", "description": "污水", "grid": "35020301100301"}).json()["case_no"]
    assert_error(hotline.get(f"/api/v1/cases/{own}"), 404)
    for path in ("/api/v1/cases", "/api/v1/tasks"):
        assert_error(hotline.get(path), 403)
    assert_error(hotline.post("/api/v1/cases", json={**HOTLINE_TICKET, "channel": "hotline12345"}), 403)


def test_clients_report_on_their_own_channel_only(api):
    wechat = api.as_client("wechat-portal", "wechat")
    assert_error(wechat.post("/api/v1/intake/hotline12345", json=HOTLINE_TICKET), 403)
    assert_error(wechat.post("/api/v1/intake/video", data={"camera": "x"}), 403)
    assert_error(api.as_user("intake").post("/api/v1/intake/wechat", json=HOTLINE_TICKET), 403)
    assert_error(wechat.post("/api/v1/intake/grid", json=HOTLINE_TICKET), 404)       # not an external channel
    missing_ref = {k: v for k, v in HOTLINE_TICKET.items() if k != "external_ref"}
    assert set(assert_error(wechat.post("/api/v1/intake/wechat", json=missing_ref), 422)["errors"]) == {"external_ref"}
    assert "channel" in assert_error(wechat.post("/api/v1/intake/wechat", json={**HOTLINE_TICKET, "channel": "web"}),
                                     422)["errors"]
    with_photo = wechat.post("/api/v1/intake/wechat", data={**HOTLINE_TICKET, "external_ref": "wx-1"},
                             files=form_photos(jpeg()))
    assert with_photo.status_code == 201 and with_photo.json()["channel"] == "wechat"
    photos = wechat.get(f"/api/v1/cases/{with_photo.json()['case_no']}/photos").json()["photos"]
    assert [(p["kind"], p["uploaded_by"]) for p in photos] == [("before", "client:wechat-portal")]
    # Same reference on another channel is another report.
    web = api.as_client("web-portal", "web")
    assert web.post("/api/v1/intake/web", json={**HOTLINE_TICKET, "external_ref": "wx-1"}).status_code == 201
