"""The admin's API for the clients' callbacks and the 回访 API, over HTTP on SQLite and PostgreSQL:
setting a callback shows its secret once, non-admins are refused, bad input is 422; a client's case
queues its messages, listed with their state; the intake operator records one 回访 on a closed
hotline case (a second, or one before closing, is 409), which the timeline shows."""
from tests.api.httpapi import assert_error
from tests.handlers.callbacks.test_callbacks import JIALIAN, SIMING, YINGCUI, close

CALL = {"category": "200509", "description": "市民来电：占道经营", "community": YINGCUI, "external_ref": "12345-0815"}


def test_callbacks_for_admins_and_the_follow_up_of_a_closed_hotline_case(api):
    city = api.city
    city.set_clock("2026-03-02 16:05")
    hotline = api.as_client("hotline-xm", "hotline12345")
    admin, intake = api.as_user("admin"), api.as_user("intake")
    url = "/api/v1/clients/hotline-xm/callback"

    assert_error(intake.put(url, json={"url": "https://hotline.example/cb"}), 403)
    assert assert_error(admin.put(url, json={"url": "ftp://hotline.example"}), 422)["errors"] == {
        "url": ["回调地址须为 http:// 或 https:// 开头的完整网址（至多 500 字符）"]}
    assert_error(admin.put("/api/v1/clients/nobody/callback", json={"url": "https://x.example"}), 404)
    assert admin.get(url).json()["url"] is None
    first = admin.put(url, json={"url": "https://hotline.example/cb"})
    assert first.status_code == 200, first.text
    secret = first.json()["secret"]
    assert secret.startswith("cgcb_") and first.json()["set_by"] == "admin"
    moved = admin.put(url, json={"url": "https://hotline.example/cb2"}).json()      # the URL only: same secret
    assert "secret" not in moved and moved["secret_fingerprint"] == first.json()["secret_fingerprint"]
    assert "secret" not in admin.get(url).json() and admin.get(url).json()["url"] == "https://hotline.example/cb2"

    reported = hotline.post("/api/v1/intake/hotline12345", json=CALL)
    assert reported.status_code == 201, reported.text
    case_no = reported.json()["case_no"]
    follow = f"/api/v1/cases/{case_no}/follow-up"
    city.set_clock("2026-03-02 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    assert assert_error(intake.post(follow, json={"rating": "satisfied"}), 409)["error"] == "案件结案后才能回访"
    city.set_clock("2026-03-03 10:00")
    close(city, case_no)

    deliveries = admin.get("/api/v1/clients/hotline-xm/callbacks").json()
    assert [(d["event"], d["case_no"], d["external_ref"], d["status"], d["attempts"]) for d in deliveries["items"]] == [
        ("closed", case_no, "12345-0815", "pending", 0), ("filed", case_no, "12345-0815", "pending", 0)]
    assert deliveries["items"][0]["message"]["result"] == "已结案：已劝离摊贩，恢复通行"
    assert admin.get(url).json()["counts"] == {"pending": 2, "sending": 0, "sent": 0, "dead": 0}
    retry = f"/api/v1/clients/hotline-xm/callbacks/{deliveries['items'][0]['id']}/retry"
    assert_error(admin.post(retry), 409)                                                 # not a dead letter
    assert_error(admin.get("/api/v1/clients/hotline-xm/callbacks?status=lost"), 422)

    assert intake.get(follow).json() == {"follow_up": None, "awaited": True, "may_record": True}
    assert_error(api.as_user("dispatcher").post(follow, json={"rating": "satisfied"}), 403)
    assert set(assert_error(intake.post(follow, json={"rating": "happy", "x": 1}), 422)["errors"]) == {"rating", "x"}
    city.set_clock("2026-03-03 11:00")
    recorded = intake.post(follow, json={"rating": "basically_satisfied", "note": "市民表示摊贩偶尔回来"})
    assert recorded.status_code == 201, recorded.text
    assert recorded.json() == {"case_no": case_no, "rating": "basically_satisfied", "rating_label": "基本满意",
                               "note": "市民表示摊贩偶尔回来", "by": "intake", "at": "2026-03-03T11:00:00+08:00"}
    assert assert_error(intake.post(follow, json={"rating": "satisfied"}), 409)["error"] == f"案件 {case_no} 已回访，不能再次登记"
    assert intake.get(follow).json()["may_record"] is False
    last = intake.get(f"/api/v1/cases/{case_no}/events").json()[-1]
    assert (last["kind"], last["actor"], last["data"]["rating"]) == ("follow_up", "intake", "basically_satisfied")
    assert api.cli("audit", "verify", case_no).exit_code == 0
