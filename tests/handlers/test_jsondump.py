"""handlers.jsondump: the dumper gives exactly what the schema's own `dump` gives, for every kind
of field it formats itself and every one it leaves to marshmallow (renamed, keyed, missing,
defaulted, dotted, methods, nested one, many or none, lists), for objects and dicts alike; and
for the product's own JSON over a month of real cases (every case's JSON, every open task's, the
map of every viewer), played through the services on both databases."""
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from marshmallow import Schema, fields, post_dump

from handlers import localtime
from handlers.cases import schemas as case_schemas
from handlers.cases.models import Case
from handlers.citymap.schemas import MapSchema, map_json
from handlers.jsondump import dumper
from handlers.worklist import service as worklist
from handlers.worklist.schemas import TASK, task_json
from tests.conftest import plays
from tests.handlers.citymap.scenario import city_map
from tests.handlers.supervision.test_dashboard import play_the_month


class Tag(Schema):
    name = fields.String()
    weight = fields.Float(allow_none=True)


class Shouting(Schema):
    word = fields.String()

    @post_dump
    def loud(self, data, **kwargs):
        return {"word": data["word"].upper()}


class Everything(Schema):
    title = fields.String()
    count = fields.Integer(attribute="n")
    ratio = fields.Float(data_key="share")
    flag = fields.Boolean()
    at = case_schemas.Instant(allow_none=True)
    on = fields.Date()
    raw = fields.Raw()
    absent = fields.String()                                   # not on the object: left out
    defaulted = fields.String(dump_default="d")                # not on it: its default
    owner = fields.String(attribute="owner.name")              # dotted: marshmallow's own reading
    doubled = fields.Method("double")
    upper = fields.Function(lambda obj: str(obj).upper()[:5])
    tag = fields.Nested(Tag, allow_none=True)
    tags = fields.List(fields.Nested(Tag))
    nested_many = fields.Nested(Tag, many=True)
    names = fields.List(fields.String())
    only_names = fields.Nested(Tag, only=("name",), many=True)
    shout = fields.Nested(Shouting)                            # a hook: the schema's own dump
    mapping = fields.Dict()

    def double(self, obj):
        return (obj["n"] if isinstance(obj, dict) else obj.n) * 2


def everything(**changes):
    values = dict(title="t", n=3, ratio=0.5, flag=True, at=datetime(2026, 3, 2, 8, 5, tzinfo=timezone.utc),
                  on=date(2026, 3, 2), raw={"a": [1]}, owner=SimpleNamespace(name="o"),
                  tag={"name": "x", "weight": None}, tags=[SimpleNamespace(name="y", weight=1)],
                  nested_many=[{"name": "z", "weight": 2.5}], names=["a", 2], only_names=[{"name": "n", "weight": 9}],
                  shout={"word": "hi"}, mapping={"k": 1})
    values.update(changes)
    return values


@pytest.mark.parametrize("as_object", [False, True])
@pytest.mark.parametrize("changes", [{}, {"tag": None, "tags": None, "at": None, "names": []},
                                     {"nested_many": None, "defaulted": "given", "absent": "here"},
                                     {"title": 5, "n": 3.7, "ratio": 1, "flag": 1}])      # converted, not as they are
def test_the_dumper_gives_what_the_schema_gives(as_object, changes):
    schema, obj = Everything(), everything(**changes)
    if as_object:
        obj = SimpleNamespace(**obj)
    expected = schema.dump(obj)
    got = dumper(schema)(obj)
    assert got == expected and list(got) == list(expected)           # the same keys, in the same order
    assert got["shout"] == {"word": "HI"} and got["defaulted"] == changes.get("defaulted", "d")
    assert type(got["title"]) is str and type(got["count"]) is int and type(got["share"]) is float
    assert ("absent" in got) == ("absent" in changes)


def test_a_schema_with_hooks_is_dumped_by_marshmallow_itself():
    assert dumper(Shouting())({"word": "quiet"}) == {"word": "QUIET"}


class Tree(Schema):
    name = fields.String()
    children = fields.List(fields.Nested(lambda: Tree()))
    loud = fields.Nested(Shouting(many=True))                 # hooks, and many on the schema itself


def test_many_schemas_nested_hooks_and_a_schema_inside_itself():
    tree = {"name": "a", "children": [{"name": "b", "children": [], "loud": None}],
            "loud": [{"word": "x"}, {"word": "y"}]}
    assert dumper(Tree())(tree) == Tree().dump(tree)
    assert dumper(Tree())(tree)["loud"] == [{"word": "X"}, {"word": "Y"}]
    many = Tag(many=True)
    tags = [{"name": "p", "weight": 1}, SimpleNamespace(name="q", weight=None)]
    assert dumper(many)(tags) == many.dump(tags) == [{"name": "p", "weight": 1.0}, {"name": "q", "weight": None}]
    assert dumper(many)(None) == many.dump(None)


@pytest.fixture
@plays(play_the_month)
def played(city):
    return city.played


def test_the_product_json_is_the_schemas_over_a_played_month(played, city, monkeypatch):
    def every_case(session):
        return session.query(Case).order_by(Case.id).all()

    def cases_json(session):
        return case_schemas.cases_json(session, city.runtime, city.directory, every_case(session))
    handling = next(c for c in city.work(cases_json) if c["status"] == "handling" and not c["overdue"])
    resume_on = (localtime.local(city.runtime.clock.now()) + timedelta(days=7)).date().isoformat()
    city.complete(handling["case_no"], "handle", f"officer-{handling['handler_unit']}", action="suspend",
                  reason="等待燃气公司停气", resume_on=resume_on)
    city.complete(handling["case_no"], "approve_suspension", "shiftlead", approved=True)

    fast = city.work(cases_json)
    monkeypatch.setattr(case_schemas, "_DUMP_CASE", case_schemas.CASE.dump)     # marshmallow's own, as the reference
    assert fast == city.work(cases_json) and len(fast) >= 10
    assert {"accepting", "dispatching", "handling", "suspended", "closed", "voided"} <= {c["status"] for c in fast}
    assert any(c["penalties"] for c in fast) and any(c["open_tasks"] for c in fast)
    assert [c["suspension"]["resume_on"] for c in fast if c["suspension"]] == [resume_on]

    def tasks(session):
        return [(task_json(task, case), TASK.dump(SimpleNamespace(task=task, case=case)))
                for task, case in worklist.list_tasks(session, city.directory)]
    pairs = city.work(tasks)
    assert pairs and all(fast == reference for fast, reference in pairs)

    for username in ("intake", "officer-350203", "auditor"):
        found = city_map(city, username)
        assert map_json(found) == MapSchema().dump(found) and found.points
