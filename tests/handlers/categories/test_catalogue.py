"""The category catalogue: the shipped data file is complete and consistent (with a standard for the
classes the demo and the tests use), search works, and a malformed file or standard is refused
with a message that names the entry and field."""
import tomllib
from pathlib import Path

import pytest
from marshmallow import ValidationError

from handlers.cases import forms
from handlers.categories import catalogue as categories


def test_shipped_catalogue_has_the_standard_classes_and_valid_codes():
    catalogue = categories.load(categories.DEFAULT_PATH)
    assert len(catalogue) > 60
    assert catalogue.get("200115").name == "乱倒乱排污水废水"
    assert catalogue.get("100102").label == "100102 污水井盖"
    assert catalogue.get("200509").path == "事件 / 街面秩序 / 占道经营"
    for name in ("垃圾满溢", "乱悬挂乱张贴", "非机动车乱停放", "暴露垃圾", "店外经营", "露天烧烤", "沿街晾挂"):
        assert [c for c in catalogue.all() if c.name == name], name
    for category in catalogue.all():     # every code passes the report schema's check
        forms.ReportSchema().load({"channel": "intake", "category": category.code, "description": "x",
                                   "community": "350203011003"})
    assert catalogue.name("209999") == "209999"


def test_the_classes_the_demo_and_the_lint_use_have_a_standard():
    from handlers.demo.history import CATEGORIES
    from handlers.process.lint import COVERAGE
    catalogue = categories.load(categories.DEFAULT_PATH)
    used = {code for code in (*CATEGORIES, *COVERAGE["category"]) if code in catalogue}
    assert "200509" in used and [code for code in used if catalogue.get(code).standard is None] == []
    sewage = catalogue.get("200115").standard
    assert sewage.urgency == "A" and "污水" in sewage.filing and "冲洗干净" in sewage.closing


def test_search_by_words_and_code():
    catalogue = categories.load(categories.DEFAULT_PATH)
    assert [c.code for c in catalogue.search("乱倒")] == ["200115"]
    assert {c.code for c in catalogue.search("污水")} == {"100102", "200115"}
    assert {c.code for c in catalogue.search("街面秩序 停放")} == {"200505", "200506"}
    assert [c.code for c in catalogue.search("100102")] == ["100102"]


@pytest.mark.parametrize("text, where", [
    ('[[kinds]]\ncode = "3"\nname = "x"\n', "kind '3'"),
    ('[[kinds]]\ncode = "2"\nname = "事件"\n[[kinds.classes]]\ncode = "1"\nname = "x"\n', "class '1'"),
    ('[[kinds]]\ncode = "2"\nname = "事件"\n[[kinds.classes]]\ncode = "01"\nname = "市容"\n'
     'minor = { "0201" = "错位" }\n', "minor class '0201'"),
    ("not toml [", "categories.toml"),
    ("", "no categories"),
])
def test_malformed_catalogue_is_refused(tmp_path, text, where):
    path = tmp_path / "categories.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(categories.CategoryDataError, match=where):
        categories.load(path)


ONE_CLASS = ('[[kinds]]\ncode = "2"\nname = "事件"\n[[kinds.classes]]\ncode = "01"\nname = "市容"\n'
             'minor = { "0102" = "暴露垃圾" }\n')


@pytest.mark.parametrize("standard, where", [
    ('[standards."200199"]\nfiling = "x"\nclosing = "y"\nurgency = "A"\n', "standards.200199: no minor class"),
    ('[standards."200102"]\nfiling = "x"\nclosing = "y"\nurgency = "D"\n', "standards.200102: field 'urgency'"),
    ('[standards."200102"]\nfiling = "  "\nclosing = "y"\nurgency = "A"\n', "standards.200102: field 'filing'"),
    ('[standards."200102"]\nfiling = "x"\nurgency = "A"\n', "standards.200102: field 'closing': 必填"),
    ('[standards."200102"]\nfiling = "x"\nclosing = "y"\nurgency = "A"\nunit = "z"\n',
     "standards.200102: field 'unit': 未知字段"),
    (f'[standards."200102"]\nfiling = "{"长" * 201}"\nclosing = "y"\nurgency = "A"\n', "field 'filing': 不能超过 200"),
], ids=["unknown class", "urgency", "blank", "missing", "unknown field", "too long"])
def test_a_bad_standard_is_refused_naming_its_entry_and_field(tmp_path, standard, where):
    path = tmp_path / "categories.toml"
    path.write_text(ONE_CLASS + standard, encoding="utf-8")
    with pytest.raises(categories.CategoryDataError, match=where):
        categories.load(path)
    path.write_text(ONE_CLASS + '[standards."200102"]\nfiling = "有暴露垃圾"\nclosing = "已清除"\nurgency = "B"\n',
                    encoding="utf-8")
    assert categories.load(path).get("200102").standard.closing == "已清除"


def test_the_app_reads_the_configured_file(app, tmp_path):
    path = tmp_path / "categories.toml"
    path.write_text('[[kinds]]\ncode = "2"\nname = "事件"\n[[kinds.classes]]\ncode = "09"\nname = "本地"\n'
                    'minor = { "0901" = "本地事件" }\n', encoding="utf-8")
    app.config["CITYGRID_CATEGORIES"] = str(path)
    assert categories.get_catalogue(app).name("200901") == "本地事件"
    with pytest.raises(ValidationError):
        forms.ReportSchema().load({"channel": "intake", "category": "2009x1", "description": "x", "community": "1"})


def test_every_video_violation_files_a_category_of_the_catalogue():
    catalogue = categories.load(categories.DEFAULT_PATH)
    path = Path(categories.__file__).parent.parent / "intake" / "violations.toml"
    violations = tomllib.loads(path.read_text(encoding="utf-8"))["violation"]
    assert len(violations) == 12
    assert [v["category"] for v in violations if v["category"] not in catalogue] == []
