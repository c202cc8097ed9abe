"""Reports by staff through the API: JSON and multipart with photos (checked by content and size),
idempotent retries, who may report on which channel, and refusals that write nothing."""
import threading

from handlers.cases import service as cases
from handlers.cases.models import Case
from handlers.cases.schemas import case_json
from tests.api.httpapi import assert_error, form_photos, jpeg, png
from tests.helpers import SEWAGE

GRID_USER = "grid-35020301100301"


def case_count(api):
    return api.city.work(lambda s: s.query(Case).count())


def test_grid_worker_reports_with_photos(api):
    grid = api.as_user(GRID_USER)
    fields = {k: v for k, v in SEWAGE.items() if k != "channel"}        # the channel defaults to grid
    response = grid.post("/api/v1/cases", data={**fields, "lat": "24.4853", "lng": "118.1220", "suggested_urgency": ""},
                         files=form_photos(png(), jpeg()))
    assert response.status_code == 201, response.text
    shown = response.json()
    case_no = shown["case_no"]
    assert response.headers["Location"].endswith(f"/api/v1/cases/{case_no}")
    assert (shown["channel"], shown["status"], shown["reporter"], shown["lat"]) == (
        "grid", "accepting", GRID_USER, 24.4853)
    # The same JSON as `cases show --json`.
    expected = api.city.work(lambda s: case_json(s, api.city.runtime, api.city.directory, cases.get_by_no(s, case_no)))
    assert shown == expected == grid.get(f"/api/v1/cases/{case_no}").json()

    photos = grid.get(f"/api/v1/cases/{case_no}/photos").json()["photos"]
    assert [(p["kind"], p["content_type"], p["uploaded_by"]) for p in photos] == [
        ("before", "image/png", GRID_USER), ("before", "image/jpeg", GRID_USER)]
    image = grid.get(photos[0]["url"])
    assert image.status_code == 200 and image.content == png() and image.headers["Content-Type"] == "image/png"
    assert grid.get(f"/api/v1/cases/{case_no}/photos/999999").status_code == 404
    kinds = [e["kind"] for e in grid.get(f"/api/v1/cases/{case_no}/events").json()]
    assert kinds[0] == "started" and "photos_added" in kinds

    # A photo added later, by anyone who sees the case; "after" needs the handle task.
    added = grid.post(f"/api/v1/cases/{case_no}/photos", data={"kind": "before"}, files=form_photos(jpeg()))
    assert added.status_code == 201 and added.json()["photos"][0]["kind"] == "before"
    photos_path = f"/api/v1/cases/{case_no}/photos"
    assert_error(grid.post(photos_path, data={"kind": "after"}, files=form_photos(jpeg())), 403)
    assert_error(grid.post(photos_path, data={"kind": "snapshot"}, files=form_photos(jpeg())), 422)
    assert_error(grid.post(f"/api/v1/cases/{case_no}/photos", data={"kind": "before"}), 422)
    assert_error(grid.post(f"/api/v1/cases/{case_no}/photos", json={"kind": "before"}), 400)   # photos come in a form
    assert len(grid.get(f"/api/v1/cases/{case_no}/photos").json()["photos"]) == 3


def test_photos_are_checked_by_content_and_size_and_refusals_write_nothing(api):
    grid = api.as_user(GRID_USER)
    before = case_count(api)
    fake = grid.post("/api/v1/cases", data=SEWAGE, files=[("photos", ("photo.jpg", b"just some text", "image/jpeg"))])
    body = assert_error(fake, 422)
    assert "photos" in body["errors"]
    api.city.app.config["CITYGRID_MAX_PHOTO_BYTES"] = 50_000
    big = grid.post("/api/v1/cases", data=SEWAGE, files=form_photos(jpeg(), png(extra=60_000)))
    assert "photos" in assert_error(big, 413)["errors"]
    too_many = grid.post("/api/v1/cases", data=SEWAGE, files=form_photos(*[jpeg()] * 10))
    assert "photos" in assert_error(too_many, 422)["errors"]
    assert case_count(api) == before
    ok = grid.post("/api/v1/cases", data=SEWAGE, files=form_photos(png(extra=40_000)))
    assert ok.status_code == 201 and case_count(api) == before + 1


def test_bad_input_is_400_or_422_with_field_messages(api):
    grid = api.as_user(GRID_USER)
    headers = {"Content-Type": "application/json"}
    assert_error(grid.post("/api/v1/cases", data="{not json", headers=headers), 400)
    assert_error(grid.post("/api/v1/cases", data="[1, 2]", headers=headers), 400)
    assert_error(grid.post("/api/v1/cases", data=b"\xff\xfe", headers=headers), 400)
    body = assert_error(grid.post("/api/v1/cases", json={**SEWAGE, "category": "99", "colour": "red"}), 422)
    assert set(body["errors"]) == {"category", "colour"}
    body = assert_error(grid.post("/api/v1/cases", json={"description": "x"}), 422)
    assert set(body["errors"]) == {"category"}
    body = assert_error(grid.post("/api/v1/cases", json={**SEWAGE, "grid": None}), 422)
    assert set(body["errors"]) == {"community"}
    assert "grid" in assert_error(grid.post("/api/v1/cases", json={**SEWAGE, "grid": "99999"}), 422)["errors"]
    nul = grid.post("/api/v1/cases", json={**SEWAGE, "description": "a\x00b"})   # PostgreSQL refuses NUL
    assert "description" in assert_error(nul, 422)["errors"]
    # A multipart field that is not UTF-8 (here GBK) is refused, not stored with replacement characters.
    gbk = grid.post("/api/v1/cases", data={**SEWAGE, "description": "污水横流".encode("gbk")}, files=form_photos(jpeg()))
    assert assert_error(gbk, 422)["errors"] == {"description": ["不是合法的 UTF-8 文本"]}
    gbk_address = grid.post("/api/v1/cases", files={k: (None, v) for k, v in {**SEWAGE, "address": b"\xff\xfe"}.items()})
    assert set(assert_error(gbk_address, 422)["errors"]) == {"address"}
    assert case_count(api) == 0


def test_who_may_report_on_which_channel(api):
    officer, grid, intake = api.as_user("officer-350203"), api.as_user(GRID_USER), api.as_user("intake")
    assert_error(officer.post("/api/v1/cases", json=SEWAGE), 403)
    assert_error(grid.post("/api/v1/cases", json={**SEWAGE, "channel": "hotline12345", "external_ref": "1"}), 403)
    keyed_in = intake.post("/api/v1/cases", json={**SEWAGE, "channel": "hotline12345", "external_ref": "T-1"})
    assert keyed_in.status_code == 201 and keyed_in.json()["channel"] == "hotline12345"
    unnamed = intake.post("/api/v1/cases", json={k: v for k, v in SEWAGE.items() if k != "channel"})
    assert unnamed.json()["channel"] == "intake"
    on_spot = grid.post("/api/v1/cases", json={**SEWAGE, "fixed_on_spot": True})
    assert on_spot.status_code == 201 and on_spot.json()["status"] == "closed_on_spot"
    assert case_count(api) == 3


def test_a_grid_worker_reports_only_in_their_own_grid(api):
    grid = api.as_user(GRID_USER)
    elsewhere = {**SEWAGE, "grid": "35020600100201", "fixed_on_spot": True}     # 湖里区's grid
    body = assert_error(grid.post("/api/v1/cases", json=elsewhere), 422)
    assert set(body["errors"]) == {"grid"} and "本人网格" in body["errors"]["grid"][0]
    assert "grid" in assert_error(grid.post("/api/v1/cases", data=elsewhere), 422)["errors"]   # multipart alike
    neighbour = {k: v for k, v in SEWAGE.items() if k != "grid"} | {"community": "350206001002"}
    assert set(assert_error(grid.post("/api/v1/cases", json=neighbour), 422)["errors"]) == {"community"}
    assert case_count(api) == 0
    # Their own community alone places the report in their grid; an intake operator reports anywhere.
    own = grid.post("/api/v1/cases", json={k: v for k, v in SEWAGE.items() if k != "grid"} | {"community": "350203011003"})
    assert own.status_code == 201 and own.json()["grid"] == "35020301100301", own.text
    keyed_in = api.as_user("intake").post("/api/v1/cases", json={**SEWAGE, "channel": "intake", "grid": "35020600100201"})
    assert keyed_in.status_code == 201 and keyed_in.json()["grid"] == "35020600100201"


def test_retries_with_the_same_reference_never_file_twice(api):
    grid = api.as_user(GRID_USER)
    report = {**SEWAGE, "external_ref": "app-7f3a"}
    first = grid.post("/api/v1/cases", json=report)
    again = grid.post("/api/v1/cases", data=report, files=form_photos(jpeg()))   # the retry's photo is not added twice
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["case_no"] == again.json()["case_no"]
    assert grid.get(f"/api/v1/cases/{first.json()['case_no']}/photos").json()["photos"] == []

    # Racing retries of another report: one files, the others get that case.
    racing = {**SEWAGE, "external_ref": "app-race"}
    answers = []

    def send():
        answers.append(grid.post("/api/v1/cases", json=racing))
    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 200, 200, 201], [a.text for a in answers]     # as the README promises: never a 409
    assert len({a.json()["case_no"] for a in answers}) == 1
    assert case_count(api) == 2
