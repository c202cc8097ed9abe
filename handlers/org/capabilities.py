"""What each role may do, as named capabilities: the one place views, templates and services ask
(`can(user, "audit")`), so that a role's rights are never listed twice.

A capability is about the kind of work, not about one case or task: whether a case is within a
user's units is `cases.visibility`, whether a task is theirs `worklist.service.may_complete`.
External API clients (role `client`) hold no capability: they report on their own channel only."""
from ..errors import PermissionDenied

CAPABILITIES = {
    # every case of the city, not only the user's subtree
    "see_all_cases": frozenset({"intake", "dispatcher", "shiftlead", "owner", "auditor", "admin"}),
    # an inbox of tasks to complete (the others land on the case list)
    "work_tasks": frozenset({"intake", "dispatcher", "shiftlead", "officer", "grid"}),
    # report a problem (the channels each role may use: REPORT_CHANNELS)
    "report": frozenset({"grid", "intake"}),
    # mark a reported problem as fixed on the spot (当场处置)
    "report_on_spot": frozenset({"grid"}),
    # edit, validate and deploy the diagrams; move running cases between versions
    "edit_processes": frozenset({"owner", "admin"}),
    # read the versions, their diffs and files
    "read_processes": frozenset({"owner", "admin", "auditor"}),
    # every case's full history, replay and integrity checks
    "audit": frozenset({"auditor", "admin"}),
    # the whole evaluation (考评), every unit's detail (officers read their own subtree's)
    "evaluate_all": frozenset({"intake", "dispatcher", "shiftlead", "owner", "auditor", "admin"}),
    # start a 督办 on an open case by hand (supervisors: on the cases of their subtree)
    "supervise": frozenset({"shiftlead", "supervisor"}),
    # the outbound notifications' dead letters: see them, queue them again
    "manage_delivery": frozenset({"admin"}),
    # the admin pages: the org tree, users, API clients and cameras, the calendar years, the catalogue
    "administer": frozenset({"admin"}),
    # record the citizen's 回访 on a closed hotline case
    "follow_up": frozenset({"intake"}),
}

# The channels a staff role may report on; the first is its default. Intake operators key in what
# reached the center by phone or portal; the external systems themselves report as API clients.
REPORT_CHANNELS = {
    "grid": ("grid",),
    "intake": ("intake", "hotline12345", "transfer110", "wechat", "web"),
}


def can(user, capability) -> bool:
    """Whether the user's role holds the capability (an unknown capability name is a bug: KeyError)."""
    return getattr(user, "role", None) in CAPABILITIES[capability]


def require(user, capability, message="无权操作"):
    """Raise PermissionDenied unless the user holds the capability."""
    if not can(user, capability):
        raise PermissionDenied(message)


def report_channels(user) -> tuple:
    """The channels the user may report on (empty: none)."""
    return REPORT_CHANNELS.get(getattr(user, "role", None), ()) if can(user, "report") else ()
