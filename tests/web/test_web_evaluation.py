"""考评 in the web UI on the scripted November of tests/handlers/evaluation/test_month.py: the tables of
a level (the handling and area sheets) with the report's own numbers, sortable columns and a chart
each; the CSV and XLSX downloads are the export's files of the same report; what each role may read."""
import csv
import io
import re
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from handlers.evaluation import export, report
from handlers.workcalendar.worktime import get_calendar
from tests.conftest import plays
from tests.handlers.evaluation.test_month import HULI, JIALIAN, SIMING, YINGCUI, YUNDANG, play_november
from tests.web.conftest import text


@pytest.fixture
@plays(play_november)
def november(city):
    return city.played


def tables(page):
    """{table id: [{column key: (text, sort key)} per row]} of the page."""
    found = {}
    for table_id, body in re.findall(r'<table class="table eval-table sortable" id="([^"]+)">(.*?)</table>', page, re.S):
        rows = []
        for row in re.findall(r"<tr data-unit[^>]*>(.*?)</tr>", body, re.S):
            cells = re.findall(r'<td data-label="[^"]*" data-key="([^"]*)" data-sort="([^"]*)">(.*?)</td>', row, re.S)
            rows.append({key: (re.sub(r"<[^>]+>", "", shown).strip(), sort) for key, sort, shown in cells})
        found[table_id] = rows
    return found


def test_the_tables_are_the_reports(city, browse, november):
    page = text(browse("auditor").get(f"/evaluation?level=street&period=2026-11&unit={SIMING}"))
    assert "2026年11月" in page and "处置考评" in page and "区域评价" in page
    sheets = tables(page)
    handling = {row["unit"][0]: row for row in sheets["sheet-0"]}
    assert set(handling) == {JIALIAN, YUNDANG}
    assert handling[JIALIAN]["rank_text"] == ("2 / 2", "2") and handling[JIALIAN]["composite"] == ("75.56", "75.56")
    assert handling[JIALIAN]["on_time_rate"] == ("66.67%", "0.6667") and handling[JIALIAN]["due"] == ("9", "9")
    area = {row["unit"][0]: row for row in sheets["sheet-1"]}
    assert area[JIALIAN]["reported"] == ("11", "11") and area[JIALIAN]["composite"] == ("75.56", "75.56")
    # the columns sort and chart: a button in each header, the chart's columns marked
    columns = sum(len(sheet.names) for sheet in export.sheets({"level": "street", "rows": []}))
    assert page.count('<button type="button" class="sort">') == columns
    assert re.search(r'<th scope="col" data-key="composite" data-chart="1"', page)
    assert 'data-chart-for="sheet-0"' in page and 'data-chart-for="sheet-1"' in page
    assert "evaluation.js" in page and "/vendor/echarts/echarts.min.js" in page
    assert f'<a href="/dashboard?unit={JIALIAN}&amp;period=2026-11">嘉莲街道</a>' in page       # drill into its dashboard
    assert all(re.search(r"\bsrc=", tag) for tag in re.findall(r"<script[^>]*>", page))


def test_the_downloads_are_the_exports_of_the_same_report(city, browse, november):
    auditor = browse("auditor")
    page = text(auditor.get(f"/evaluation?level=street&period=2026-11&unit={SIMING}"))
    links = dict(re.findall(r'id="download-(csv|xlsx)" href="([^"]+)"', page))
    assert set(links) == {"csv", "xlsx"}
    viewer = SimpleNamespace(role="auditor", unit_code="350200", username="auditor")
    expected = city.work(lambda s: report.evaluate(s, city.runtime, city.directory, get_calendar(city.app),
                                                   viewer=viewer, period="2026-11", level="street", unit=SIMING))
    csv_file = auditor.get(links["csv"].replace("&amp;", "&"))
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"
    assert "attachment" in csv_file.headers["Content-Disposition"]
    assert csv_file.data == export.to_csv(expected)                 # the very file the API's export gives
    xlsx_file = auditor.get(links["xlsx"].replace("&amp;", "&"))
    sheet = load_workbook(io.BytesIO(xlsx_file.data)).active
    ours = load_workbook(io.BytesIO(export.to_xlsx(expected))).active
    assert list(sheet.iter_rows(values_only=True)) == list(ours.iter_rows(values_only=True))
    lines = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8-sig"))))
    assert lines[2][:2] == ["排名", "单位"] and {line[2] for line in lines[3:]} == {JIALIAN, YUNDANG}
    assert auditor.get("/evaluation/export?format=pdf").status_code == 404


def test_who_reads_what(city, browse, november):
    siming = browse("supervisor-350203")
    page = text(siming.get("/evaluation"))                       # its streets first, only its own subtree offered
    assert {row["unit"][0] for row in tables(page)["sheet-0"]} == {JIALIAN, YUNDANG}
    assert 'value="job"' not in page and '<option value="">全部</option>' not in page
    districts = text(siming.get("/evaluation?level=district&period=2026-11"))
    rows = tables(districts)["sheet-0"]
    assert [row["unit"][0] for row in rows] == [SIMING] and rows[0]["rank_text"][0] == "2 / 2"
    assert "湖里" not in districts and HULI not in districts
    assert siming.get("/evaluation?level=job").status_code == 403
    assert 'value="job"' in text(browse("auditor").get("/evaluation"))
    auditor_districts = tables(text(browse("auditor").get("/evaluation?level=district&period=2026-11")))["sheet-0"]
    assert len(auditor_districts) == 6
    worker = text(browse("grid-35020301100301").get("/evaluation?period=2026-11"))
    assert [row["user"][0] for row in tables(worker)["sheet-0"]] == ["grid-35020301100301"]
    community = text(browse(f"officer-{YINGCUI}").get("/evaluation?period=2026-11"))
    assert [row["unit"][0] for row in tables(community)["sheet-0"]] == [YINGCUI]
    for url, status in (("/evaluation?period=2026-13", 422), ("/evaluation?period=x", 422),
                        ("/evaluation?from=2026-11-30&to=2026-11-01", 422), ("/evaluation?level=city", 422),
                        ("/evaluation?unit=999", 422)):
        answer = browse("auditor").get(url)
        assert answer.status_code == status and 'id="evaluation-error"' in text(answer), url


def test_a_quarters_rows_open_the_dashboard_of_this_month(city, browse, november):
    page = text(browse("auditor").get(f"/evaluation?level=street&period=2026-Q4&unit={SIMING}"))
    assert "2026年第4季度" in page and f'<a href="/dashboard?unit={JIALIAN}">嘉莲街道</a>' in page
