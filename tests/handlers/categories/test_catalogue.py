"""The category catalogue: the shipped data file is complete and consistent, search works, and a
malformed file is refused with a message that says where."""
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
