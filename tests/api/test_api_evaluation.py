"""The evaluation over HTTP on the scripted November (tests/handlers/evaluation/test_month.py): the
JSON, the CSV and XLSX exports with the same numbers, the cases behind a unit's numbers, who may
read what, and bad input answered 422."""
import csv
import io

import pytest
from openpyxl import load_workbook

from tests.api.httpapi import assert_error
from tests.conftest import plays
from tests.handlers.evaluation.test_month import CENTER, HULI, JIALIAN, SIMING, YINGCUI, YUNDANG, play_november


@pytest.fixture
@plays(play_november)
def evaluated(api):
    return api.city.played


def rows(response):
    assert response.status_code == 200, response.text
    return {row["unit"]: row for row in response.json()["rows"]}


def test_the_evaluation_and_its_exports_say_the_same(api, evaluated):
    auditor = api.as_user("auditor")
    document = auditor.get("/api/v1/evaluation", params={"period": "2026-11", "level": "street", "unit": SIMING})
    found = rows(document)
    assert document.json()["period"] == {"label": "2026-11", "title": "2026年11月", "from": "2026-11-01",
                                         "to": "2026-11-30"}
    assert (found[JIALIAN]["handling"]["composite"], found[JIALIAN]["rank_text"],
            found[YUNDANG]["rank_text"]) == (75.56, "2 / 2", "1 / 2")

    exported = auditor.get("/api/v1/evaluation/export", params={"period": "2026-11", "level": "street",
                                                                 "unit": SIMING, "format": "csv"})
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    assert exported.content.startswith("\ufeff".encode("utf-8"))                   # Excel reads UTF-8 with a BOM
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines[0][0].startswith("考评：2026年11月") and "按期处置率=按期处置数÷应处置数" in lines[1][0]
    header, body = lines[2], {line[2]: dict(zip(lines[2], line)) for line in lines[3:]}
    assert header[:4] == ["排名", "单位", "代码", "上级单位"]
    for unit, row in found.items():
        cells = body[unit]
        assert cells["排名"] == row["rank_text"]
        assert int(cells["应处置数"]) == row["handling"]["due"] and int(cells["返工数"]) == row["handling"]["rework"]
        assert float(cells["按期处置率"].rstrip("%")) / 100 == pytest.approx(row["handling"]["on_time_rate"])
        assert float(cells["综合指标值"]) == row["handling"]["composite"]
        assert float(cells["得分"]) == row["handling"]["score"] and cells["等级"] == row["handling"]["grade"]
        assert float(cells["按期结案率"].rstrip("%")) / 100 == pytest.approx(row["area"]["on_time_close_rate"])

    workbook = auditor.get("/api/v1/evaluation/export", params={"period": "2026-11", "level": "street",
                                                                 "unit": SIMING, "format": "xlsx"})
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][0].startswith("考评：2026年11月") and list(table[2][:2]) == ["排名", "单位"]
    for line in table[3:]:
        cells, row = dict(zip(table[2], line)), found[line[2]]
        assert cells["应处置数"] == row["handling"]["due"] and cells["按期处置率"] == row["handling"]["on_time_rate"]
        assert cells["综合指标值"] == row["handling"]["composite"] and cells["扣分"] == row["handling"]["points"]


def test_the_cases_behind_a_units_numbers(api, evaluated):
    detail = api.as_user("shiftlead").get(f"/api/v1/evaluation/units/{YINGCUI}", params={"period": "2026-11"})
    assert detail.status_code == 200, detail.text
    body = detail.json()
    handled = sorted(evaluated[k] for k in ("C16", "C1", "C2", "C4", "C6", "C17"))
    assert body["cases"]["handled"] == handled and body["cases"]["due"] == handled
    assert body["cases"]["late"] == [evaluated["C2"]] and body["cases"]["rework"] == [evaluated["C4"]]
    assert body["cases"]["points"] == sorted([evaluated["C2"], evaluated["C4"]])
    assert body["rank_text"] == "1 / 2" and body["period"]["label"] == "2026-11"


def test_a_district_reads_its_streets_and_only_the_totals_of_the_other_districts(api, evaluated):
    siming = api.as_user(f"officer-{SIMING}")
    streets = rows(siming.get("/api/v1/evaluation", params={"period": "2026-11", "level": "street"}))
    assert set(streets) == {JIALIAN, YUNDANG} and all(r["detail"] for r in streets.values())
    districts = rows(siming.get("/api/v1/evaluation", params={"period": "2026-11", "level": "district"}))
    assert districts[SIMING]["detail"] and districts[SIMING]["handling"]["due"] == 10
    assert districts[HULI]["detail"] is False and districts[HULI]["rank_text"] == "1 / 2"
    assert districts[HULI]["handling"] == {"composite": 100.0, "score": 100.0, "grade": "优"}
    assert siming.get(f"/api/v1/evaluation/units/{JIALIAN}", params={"period": "2026-11"}).status_code == 200
    assert_error(siming.get(f"/api/v1/evaluation/units/{HULI}", params={"period": "2026-11"}), 404)
    assert_error(siming.get("/api/v1/evaluation", params={"level": "job"}), 403)
    street = api.as_user(f"officer-{JIALIAN}")
    communities = rows(street.get("/api/v1/evaluation", params={"period": "2026-11", "level": "community"}))
    assert set(communities) == {YINGCUI, "350203011001", "350203011002"}
    assert_error(street.get(f"/api/v1/evaluation/units/{SIMING}", params={"period": "2026-11"}), 404)
    worker = api.as_user("grid-35020301100301")
    own = worker.get("/api/v1/evaluation", params={"period": "2026-11", "level": "grid"}).json()["rows"]
    assert [row["user"] for row in own] == ["grid-35020301100301"] and own[0]["figures"]["reported"] == 7
    assert rows(api.as_user("intake").get("/api/v1/evaluation", params={"period": "2026-11"}))[HULI]["detail"]
    assert CENTER not in districts


@pytest.mark.parametrize("params, field", [
    ({"period": "2026-13"}, "period"), ({"period": "Nov"}, "period"), ({"level": "city"}, "level"),
    ({"unit": "35-02"}, "unit"), ({"unit": "999"}, "unit"), ({"from": "2026-11-01"}, "to"),
    ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
])
def test_bad_input_is_422_with_the_field(api, params, field):
    answer = api.as_user("auditor").get("/api/v1/evaluation", params=params)
    assert_error(answer, 422)
    assert field in answer.json()["errors"], answer.json()


def test_the_evaluation_and_dashboard_json_are_their_schemas_dump(api, evaluated, monkeypatch):
    """The documents dumped by handlers.jsondump, over HTTP, are what the schemas' own dump gives."""
    from api.views import dashboard, evaluation
    from handlers.evaluation.schemas import EvaluationSchema, UnitDetailSchema
    from handlers.supervision.schemas import DashboardSchema
    auditor = api.as_user("auditor")
    asked = [("/api/v1/evaluation", {"period": "2026-11"}),
             ("/api/v1/evaluation", {"period": "2026-11", "level": "street", "unit": SIMING}),
             (f"/api/v1/evaluation/units/{YINGCUI}", {"period": "2026-11"}),
             ("/api/v1/dashboard", {"period": "2026-11"}),
             ("/api/v1/dashboard", {"period": "2026-11", "unit": SIMING})]

    def answers():
        found = []
        for path, params in asked:
            answer = auditor.get(path, params=params)
            assert answer.status_code == 200, answer.text
            found.append(answer.json())
        return found
    fast = answers()
    monkeypatch.setattr(evaluation, "_DUMP_EVALUATION", EvaluationSchema().dump)
    monkeypatch.setattr(evaluation, "_DUMP_DETAIL", UnitDetailSchema().dump)
    monkeypatch.setattr(dashboard, "dashboard_json", DashboardSchema().dump)
    assert fast == answers()
    assert fast[0]["rows"] and fast[2]["unit"] == YINGCUI and fast[3]["month"] and fast[4]["unit"]["code"] == SIMING
