"""handlers.evaluation.rules, periods and ranking: the rules come from the deployed tables (and a
version whose tables the evaluation cannot use is refused on the table), periods parse as the city
names them, equal composites share a rank."""
from datetime import date

import pytest

from engine import deployments
from handlers.errors import Invalid
from handlers.evaluation import periods, ranking, rules
from tests import deployment_files


def deploy(city, **replaced):
    files = deployment_files.shipped()
    for name, (old, new) in replaced.items():
        text = files[name].decode()
        assert old in text, old
        files[name] = text.replace(old, new, 1).encode()
    return city.work(lambda s: deployments.deploy(s, city.runtime, files=files, process_id="case_handling",
                                                  actor="owner"))


def problems(city, **replaced):
    with pytest.raises(deployments.DeploymentError) as err:
        deploy(city, **replaced)
    return [(p.element, p.message) for p in err.value.problems]


def test_the_shipped_rules(city):
    found = city.work(lambda s: rules.current(s, city.runtime))
    handling = found.weights["handling"]
    assert (handling.base, handling.on_time, handling.completion, handling.rework_free) == (100, 0.6, 0.2, 0.2)
    assert found.weights["grid"].check_hours == 4
    assert [found.grade(c) for c in (100, 90, 89.99, 80, 79.99, 60, 59.99, 0, None)] == [
        "优", "优", "良", "良", "中", "中", "差", "差", None]
    assert handling.composite(5 / 6, 1.0, 1 / 7) == 87.14
    assert handling.composite(None, None) is None


def test_an_owner_changes_the_weights_and_the_evaluation_follows(city):
    assert problems(city, **{"evaluation_weights.dmn": ("<text>0.6</text>", "<text>0.7</text>")}) == [
        ("evaluation_weights", "subject 'handling': the weights add up to 1.1, not 1")]
    edited = deployment_files.shipped()
    text = edited["evaluation_weights.dmn"].decode()
    edited["evaluation_weights.dmn"] = text.replace("<text>0.6</text>", "<text>0.5</text>", 1) \
        .replace("<text>0.2</text>", "<text>0.3</text>", 1).encode()
    city.work(lambda s: deployments.deploy(s, city.runtime, files=edited, process_id="case_handling", actor="owner"))
    assert city.work(lambda s: rules.current(s, city.runtime)).weights["handling"].on_time == 0.5


def test_a_grade_table_with_a_gap_and_a_missing_table_are_refused(city):
    assert ("evaluation_grades", "decision table has no grade for composite = 85") in problems(
        city, **{"evaluation_grades.dmn": ("80 &lt;= ? &lt; 90", "80 &lt;= ? &lt; 85")})
    files = deployment_files.shipped()
    del files["evaluation_weights.dmn"]
    with pytest.raises(deployments.DeploymentError) as err:
        city.work(lambda s: deployments.deploy(s, city.runtime, files=files, process_id="case_handling",
                                               actor="owner"))
    assert [(p.element, p.message) for p in err.value.problems] == [
        ("case_handling", "the evaluation needs the decision table evaluation_weights")]


def test_a_sandbox_escape_in_an_evaluation_table_is_refused_on_it(city):
    found = problems(city, **{"evaluation_weights.dmn": ("<text>100</text>", "<text>().__class__</text>")})
    assert found and all(element == "evaluation_weights" for element, _ in found)
    assert any("__class__" in message for _, message in found)


@pytest.mark.parametrize("text, first, last, title", [
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026年11月"),
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28), "2026年2月"),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026年第4季度"),
    ("2026-q1", date(2026, 1, 1), date(2026, 3, 31), "2026年第1季度"),
    ("2026", date(2026, 1, 1), date(2026, 12, 31), "2026年"),
])
def test_periods(text, first, last, title):
    found = periods.parse(text, today=date(2026, 12, 1))
    assert (found.first, found.last, found.title) == (first, last, title)
    assert (found.end - found.start).days == (last - first).days + 1


def test_the_default_period_a_range_and_bad_ones():
    assert periods.parse(None, today=date(2026, 12, 1)).label == "2026-12"
    span = periods.parse(date_from="2026-11-03", date_to="2026-11-20", today=date(2026, 12, 1))
    assert (span.first, span.last, span.title) == (date(2026, 11, 3), date(2026, 11, 20), "2026-11-03 至 2026-11-20")
    for kwargs, field in [(dict(period="2026-13"), "period"), (dict(period="November"), "period"),
                          (dict(date_from="2026-11-20", date_to="2026-11-03"), "to"),
                          (dict(date_from="2026-11-03"), "to"), (dict(period="2026-11", date_from="2026-11-03",
                                                                       date_to="2026-11-04"), "period"),
                          (dict(period="2100"), "period"), (dict(period="0000"), "period"),
                          (dict(period="0000-Q1"), "period")]:
        with pytest.raises(Invalid) as err:
            periods.parse(today=date(2026, 12, 1), **kwargs)
        assert err.value.field == field, kwargs


def test_equal_composites_share_a_rank_and_the_next_skips():
    found = ranking.ranks({"a": 90.0, "b": 75.5, "c": 90.0, "d": None, "e": 60.0})
    assert found == {"a": (1, 4), "c": (1, 4), "b": (3, 4), "e": (4, 4), "d": (None, 4)}
    assert [ranking.text(*found[k]) for k in "abd"] == ["1 / 4", "3 / 4", "— / 4"]
