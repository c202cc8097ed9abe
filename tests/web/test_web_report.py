"""上报 through the web form: grid workers in their own grid (on-the-spot fixes allowed), intake
operators anywhere; refused reports re-render with errors beside the fields and write nothing."""
from io import BytesIO

from sqlalchemy import func, select

from handlers.cases import attachments, service as cases
from handlers.cases.models import Case
from tests.e2e.conftest import png
from tests.helpers import SEWAGE
from tests.web.conftest import field_error, text


def count(city, model):
    return city.work(lambda s: s.scalar(select(func.count()).select_from(model)))


def report(browser, **fields):
    return browser.post("/report", fields, content_type="multipart/form-data")


def test_grid_worker_reports_with_photos_and_coordinates(city, browse):
    city.set_clock("2026-03-02 16:05")
    grid = browse("grid-35020301100301")
    page = text(grid.get("/report"))
    assert 'capture="environment"' in page and "乱倒乱排污水废水" in page and "已当场处置" in page
    assert 'name="community"' not in page                 # a grid worker reports in their own grid
    response = report(grid, category="200115", description=SEWAGE["description"], address=SEWAGE["address"],
                      lat="24.4856", lng="118.1297", suggested_urgency="A",
                      photos=[(BytesIO(png()), "1.png"), (BytesIO(png(rgb=(9, 9, 9))), "2.png")],
                      grid="35020301100302", community="350206001001")   # ignored: not theirs to choose
    assert response.status_code == 303
    case_no = response.location.rsplit("/", 1)[1]
    shown = city.show(case_no)
    assert (shown["channel"], shown["grid"], shown["community"]) == ("grid", "35020301100301", "350203011003")
    assert (shown["lat"], shown["lng"], shown["status"]) == (24.4856, 118.1297, "accepting")
    assert city.work(lambda s: [a.kind for a in attachments.for_case(s, cases.get_by_no(s, case_no).id)]) == [
        "before", "before"]
    page = text(grid.get(f"/cases/{case_no}"))
    assert "已上报" in page and "上报照片（2）" in page


def test_fixed_on_the_spot_closes_at_once(city, browse):
    grid = browse("grid-35020301100301")
    response = report(grid, category="200102", description="路边暴露垃圾，已清理", fixed_on_spot="on")
    assert response.status_code == 303
    assert city.show(response.location.rsplit("/", 1)[1])["status"] == "closed_on_spot"


def test_intake_reports_for_any_community(city, browse):
    intake = browse("intake")
    page = text(intake.get("/report"))
    assert "叶厝社区" in page and "已当场处置" not in page
    response = report(intake, category="200509", description="叶厝菜市场门口占道经营", community="350211002003")
    assert response.status_code == 303
    shown = city.show(response.location.rsplit("/", 1)[1])
    assert (shown["channel"], shown["community"], shown["grid"]) == ("intake", "350211002003", None)


def test_refused_reports_show_errors_beside_fields_and_write_nothing(city, browse):
    before = (count(city, Case), count(city, attachments.Attachment))
    intake = browse("intake")
    response = report(intake, description="", lat="north", community="", photos=[(BytesIO(png()), "ok.png")])
    assert response.status_code == 422
    assert field_error(response, "category") == "必填"
    assert field_error(response, "description") == "必填"
    assert field_error(response, "lat") == "须为数字"
    assert field_error(response, "community") == "请选择社区（或网格）"
    assert 'value="north"' in text(response)               # what was typed is kept
    response = report(intake, category="200115", description="污水", community="350203011003",
                      grid="35020601000101")
    assert response.status_code == 422 and "网格" in field_error(response, "grid")
    grid = browse("grid-35020301100301")
    response = report(grid, category="200115", description="污水",
                      photos=[(BytesIO(png()), "ok.png"), (BytesIO(b"%PDF-1.4"), "doc.pdf")])
    assert response.status_code == 422
    assert "只接受 JPEG、PNG 或 WebP 图片" in field_error(response, "photos")
    assert (count(city, Case), count(city, attachments.Attachment)) == before


def test_only_grid_workers_and_intake_report(city, browse):
    for username in ("dispatcher", "officer-350203", "auditor"):
        browser = browse(username)
        assert browser.get("/report").status_code == 403
        assert report(browser, category="200115", description="x", community="350203011003").status_code == 403
        assert 'href="/report"' not in text(browser.get("/cases"))
