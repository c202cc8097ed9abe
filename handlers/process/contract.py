"""The contract between the case process and the code, declared once.

The code reads some process variables by name: who holds the case, the dispatch chain, the
deadline, the grading. A diagram edited in the modeller could stop setting one of them and
silently break visibility, penalties or returns. So every name the code reads is declared here,
read only through `read` (never `data.get("holder")` elsewhere), and `process.lint.check_contract`
refuses a deployment in which the diagram sets a required variable nowhere, naming the element.

The rest of the contract: the data a report starts the process with, the published steps of a
case process (their BPMN ids and forms, which the API, the UI, the evaluation and the README speak
of), the properties every user step carries (`form`, `role`, `unit`, `status`), the steps that run
beside the main path, the case statuses a step may set and the end events a case may finish on
(`cases.statuses`). `process.lint` checks all of it when a version is deployed."""
from dataclasses import dataclass
from datetime import datetime

from .. import localtime

PROCESS_ID = "case_handling"     # the default case process: new cases start on it unless routed elsewhere
# The id a case process may have (a copy made from the default gets one the owner gives).
PROCESS_ID_PATTERN = r"^[a-z][a-z0-9_]{2,49}$"

# What `cases.service.report` starts the process with: the report's fields, then what the
# platform adds (the case number, the command center's unit, when and by whom).
REPORT_FIELDS = ("channel", "category", "description", "address", "community", "grid", "lat", "lng",
                 "external_ref", "suggested_urgency", "fixed_on_spot")
START_DATA = REPORT_FIELDS + ("case_no", "center", "reported_at", "reporter")

# The published steps of each case process: BPMN id -> the form it must name (README, "The default
# process: published contract"). A process not listed here has no published steps (yet).
PUBLISHED_STEPS = {PROCESS_ID: {step: step for step in (
    "accept_report", "verify_report", "dispatch", "handle", "approve_extension", "review", "check_result",
    "close_case", "supervise", "supervise_reply", "approve_suspension", "resume_case")}}

# Decisions the code evaluates itself, called by no task, deployed with the default process: the
# evaluation's rules (`evaluation.rules`) and which process a new case starts (`process.routing`).
EVALUATION_WEIGHTS, EVALUATION_GRADES = "evaluation_weights", "evaluation_grades"
CASE_ROUTING = "case_routing"
READ_DECISIONS = (EVALUATION_WEIGHTS, EVALUATION_GRADES, CASE_ROUTING)
# What the routing table is asked (`process.routing`), and what it answers.
ROUTING_INPUTS = ("channel", "category", "major_class")
ROUTING_OUTPUT = "process_id"

# The properties of a user step: its form (`worklist.forms.FORMS`), who may complete it (a role
# and a unit expression) and the case status while it is open.
STEP_PROPERTIES = ("form", "role", "unit", "status")
# Steps open beside the main path (the shift lead's 督办, the pressed unit's reply), by BPMN id: they
# never say where the case stands.
PARALLEL_STEPS = ("supervise", "supervise_reply")
# The message of a 督办 (sent by hand by `cases.supervision`, thrown by the diagram after the shift
# lead's overdue 督办); its payload lands in `supervision`.
SUPERVISE_MESSAGE = "supervise"
# The message by which the shift lead resumes a suspended case by hand (`cases.suspension`); the
# holding unit resumes it through its `resume_case` step, the diagram's timer at the expected date.
RESUME_MESSAGE = "resume"


@dataclass(frozen=True)
class Variable:
    name: str
    means: str
    required: bool = True     # the diagram must set it (False: read when present)


VARIABLES = {v.name: v for v in (
    Variable("center", "the command center's unit (start data)"),
    Variable("holder", "the unit holding the case now: it sees the case and overdue penalties fall on it"),
    Variable("chain", "the dispatch chain from the command center down to the holder (returns climb it)"),
    Variable("handler", "the unit handling the case (rework penalties fall on it)"),
    Variable("reviewer", "the unit reviewing the handling result", required=False),
    Variable("urgency", "the grading A/B/C given when the case is filed"),
    Variable("category", "the case category (start data, regraded when filed)"),
    Variable("time_limit", "the limit in working days, from the time-limit decision table"),
    Variable("time_limit_hours", "working hours added to the limit (an emergency process's limit: "
                                 "time_limit 0 and a few hours)", required=False),
    Variable("default_unit", "the unit the default-unit table suggests for the category", required=False),
    Variable("warning_share", "the share of the limit after which the yellow light shows"),
    Variable("filed_at", "when the case was filed (the deadline counts from it)"),
    Variable("due_at", "the deadline"),
    Variable("warn_at", "when the yellow light comes on"),
    Variable("due_provisional", "whether the deadline touches a year without official calendar data"),
    Variable("extended_days", "working days added by approved extensions", required=False),
    Variable("duplicate_of", "the open case a merged report duplicates", required=False),
    Variable("suspension", "the current or last suspension (挂起): reason, resume_on, resume_at, suspended_at, "
             "resumed_at, seconds", required=False),
    Variable("suspended_seconds", "working seconds of the suspensions that ended (the deadline moved by them)",
             required=False),
)}


@dataclass(frozen=True)
class CaseState:
    """What the code knows of a case from its process data (the data of its main open step)."""

    center: str | None
    holder: str | None
    chain: tuple
    handler: str | None
    reviewer: str | None
    urgency: str | None
    category: str | None
    default_unit: str | None
    time_limit: int | None
    time_limit_hours: float
    warning_share: float | None
    filed_at: datetime | None
    due_at: datetime | None
    warn_at: datetime | None
    due_provisional: bool
    extended_days: int
    duplicate_of: str | None
    suspension: dict | None = None
    suspended_seconds: int = 0

    @property
    def filed(self):
        """Filed (立案): it has a deadline."""
        return self.due_at is not None

    @property
    def suspended(self):
        """Suspended now (挂起): approved and not resumed yet."""
        return bool(self.suspension) and not self.suspension.get("resumed_at")

    @property
    def units(self):
        """The units named in the state (holder, handler, reviewer and the chain)."""
        return {u for u in (*self.chain, self.handler, self.reviewer, self.holder) if u}


def read(data: dict) -> CaseState:
    """The contract's variables from process data (missing ones are None, or empty)."""
    return CaseState(
        center=data.get("center"), holder=data.get("holder"), chain=tuple(data.get("chain") or ()),
        handler=data.get("handler"), reviewer=data.get("reviewer"), urgency=data.get("urgency"),
        category=data.get("category"), default_unit=data.get("default_unit"), time_limit=data.get("time_limit"),
        time_limit_hours=float(data.get("time_limit_hours") or 0),
        warning_share=data.get("warning_share"),
        filed_at=localtime.parse(data.get("filed_at")), due_at=localtime.parse(data.get("due_at")),
        warn_at=localtime.parse(data.get("warn_at")), due_provisional=bool(data.get("due_provisional")),
        extended_days=int(data.get("extended_days") or 0), duplicate_of=data.get("duplicate_of"),
        suspension=data.get("suspension") or None, suspended_seconds=int(data.get("suspended_seconds") or 0),
    )


def step_properties(task_spec) -> dict:
    """A user step's extension properties (form, role, unit, status) as raw strings."""
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {})
