"""handlers.process.decisions: what a version's time-limit table answers, read from the version."""
from engine import deployments
from handlers.process import decisions
from tests import deployment_files


def test_the_limits_are_the_tables_of_each_version(city):
    shipped = city.work(lambda s: deployments.latest(s, "case_handling"))
    assert decisions.time_limits(city.runtime, shipped) == {"A": 1, "B": 2, "C": 4}
    edited = city.work(lambda s: deployments.deploy(s, city.runtime, files=deployment_files.b_limit(3),
                                                    process_id="case_handling", actor="owner"))
    assert decisions.time_limits(city.runtime, edited) == {"A": 1, "B": 3, "C": 4}
    assert decisions.time_limits(city.runtime, shipped) == {"A": 1, "B": 2, "C": 4}
