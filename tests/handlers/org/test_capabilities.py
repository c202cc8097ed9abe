"""handlers.org.capabilities: what each role may do, asked by name; external clients may nothing."""
from types import SimpleNamespace

import pytest

from handlers import errors
from handlers.org import capabilities
from handlers.org.models import ROLES

EXPECTED = {   # role -> capabilities, as product.md's table of roles describes them
    "intake": {"see_all_cases", "work_tasks", "report", "evaluate_all", "follow_up"},
    "dispatcher": {"see_all_cases", "work_tasks", "evaluate_all"},
    "shiftlead": {"see_all_cases", "work_tasks", "evaluate_all", "supervise"},
    "officer": {"work_tasks"},
    "grid": {"work_tasks", "report", "report_on_spot"},
    "owner": {"see_all_cases", "edit_processes", "read_processes", "evaluate_all"},
    "auditor": {"see_all_cases", "read_processes", "audit", "evaluate_all"},
    "admin": {"see_all_cases", "edit_processes", "read_processes", "audit", "evaluate_all", "manage_delivery",
              "administer"},
    # read-only: sees its unit's subtree (the city's at the center, a district's at the district)
    "supervisor": {"supervise"},
    "client": set(),
}


@pytest.mark.parametrize("role", [*ROLES, "client"])
def test_each_role_holds_exactly_its_capabilities(role):
    user = SimpleNamespace(role=role)
    assert {c for c in capabilities.CAPABILITIES if capabilities.can(user, c)} == EXPECTED[role]


def test_report_channels_follow_the_report_capability():
    assert capabilities.report_channels(SimpleNamespace(role="grid")) == ("grid",)
    assert capabilities.report_channels(SimpleNamespace(role="intake"))[0] == "intake"
    assert capabilities.report_channels(SimpleNamespace(role="officer")) == ()
    assert capabilities.report_channels(SimpleNamespace(role="client")) == ()


def test_require_refuses_and_an_unknown_capability_is_a_bug():
    capabilities.require(SimpleNamespace(role="auditor"), "audit")
    with pytest.raises(errors.PermissionDenied):
        capabilities.require(SimpleNamespace(role="officer"), "audit")
    with pytest.raises(KeyError):
        capabilities.can(SimpleNamespace(role="admin"), "fly")
