"""The form of every user step of the case process, as marshmallow schemas: the step's `form`
property maps to its schema in FORMS, and the CLI, the API and the web UI all validate with it.
Unknown fields are refused.

A rule a schema cannot check alone, because it depends on where the case stands (which units are
below the holder, which cases are open), is the schema's `in_context` method, right beside its
fields; the web form asks the same methods for its choices, so a rule is written once."""
from dataclasses import dataclass, field as dc_field
from datetime import date, datetime

from marshmallow import ValidationError, fields, validate

from ..cases import deadlines
from ..cases.forms import CASE_NO, CATEGORY, URGENCIES
from ..cases.service import CaseError, open_duplicate
from ..forms import DATE_PATTERN, FormSchema, between, length, one_of
from ..org.schemas import CODE as UNIT_CODE
from ..process.contract import CaseState


@dataclass
class StepContext:
    """Where the case stands when a step's form is checked."""

    session: object
    directory: object
    case: object             # the cases.models.Case row
    state: CaseState         # the contract variables of the task's data
    now: datetime | None = None     # the unit of work's instant
    calendar: object = None         # the working-day calendar
    steps: frozenset = frozenset()  # the BPMN ids of the steps the task's process (part) has
    data: dict = dc_field(default_factory=dict)   # the task's data (the fields earlier forms left)


def _invalid(field, message):
    return ValidationError({field: [message]})


class StepSchema(FormSchema):
    """A step's form; `in_context` adds the checks that need the case (none by default), `outcome`
    says in one word what the step decided (the evaluation counts by it)."""

    def in_context(self, form, ctx: StepContext):
        """Raise ValidationError when `form` (already loaded) does not fit where the case stands."""

    @staticmethod
    def outcome(form) -> str:
        """What a completed form decided, in one word (e.g. file, assign, return, passed)."""
        return "done"


def _yes_no(field, yes, no):
    return staticmethod(lambda form: yes if form.get(field) else no)


class AcceptReportSchema(StepSchema):
    """受理审核: file, void, merge into a duplicate, or send a grid worker to verify first."""

    decision = fields.String(required=True, validate=one_of(("file", "void", "merge", "verify")))
    category = fields.String(load_default=None, allow_none=True, validate=CATEGORY)
    urgency = fields.String(load_default=None, allow_none=True, validate=one_of(URGENCIES))
    reason = fields.String(load_default="", validate=length(max=1000))
    duplicate_of = fields.String(load_default=None, allow_none=True, validate=CASE_NO,
                                 metadata={"description": "an open case's number (并案)"})
    required_when = {"decision": {"file": ("立案", ("urgency",)), "void": ("作废", ("reason",)),
                                  "merge": ("并案", ("duplicate_of",))}}

    outcome = staticmethod(lambda form: form["decision"])

    def in_context(self, form, ctx):
        if form["decision"] == "merge":
            try:
                open_duplicate(ctx.session, form["duplicate_of"], instance_id=ctx.case.instance_id)
            except CaseError as err:
                raise _invalid(err.field, str(err)) from None


class VerifyReportSchema(StepSchema):
    """核实: does the reported problem exist?"""

    exists = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=length(max=1000))

    outcome = _yes_no("exists", "exists", "not_exists")


class DispatchSchema(StepSchema):
    """派遣: assign to a unit below, handle here, or return to the level above."""

    action = fields.String(required=True, validate=one_of(("assign", "handle", "return")))
    unit = fields.String(load_default=None, allow_none=True, validate=UNIT_CODE,
                         metadata={"description": "a unit directly below the holder, not a grid (下派)"})
    reason = fields.String(load_default="", validate=length(max=1000))
    required_when = {"action": {"assign": ("下派", ("unit",)), "return": ("退回", ("reason",))}}

    outcome = staticmethod(lambda form: form["action"])

    @staticmethod
    def targets(directory, holder):
        """The units `holder` may dispatch to: those directly below it in service, never a grid."""
        return [c for c in directory.active_children(holder) if directory.kind(c) != "grid"]

    @classmethod
    def actions(cls, directory, holder, center):
        """What the holder may do: assign only with a unit below to assign to (a community has only
        grids below it), return only with a level above (the command center has none)."""
        return tuple(a for a in ("assign", "handle", "return")
                     if not (a == "assign" and not cls.targets(directory, holder))
                     and not (a == "return" and holder == center))

    def in_context(self, form, ctx):
        holder, assign = ctx.state.holder, form["action"] == "assign"
        if assign and ctx.directory.kind(form["unit"]) == "grid":
            raise _invalid("unit", "不能派遣到网格，请派遣到社区或部门")
        if form["action"] not in self.actions(ctx.directory, holder, ctx.state.center):
            raise _invalid("action", f"{ctx.directory.name(holder)} 没有可下派的下级单位" if assign else
                           "指挥中心不能退回")
        if assign and form["unit"] not in self.targets(ctx.directory, holder):
            raise _invalid("unit", f"{form['unit']} 不是 {ctx.directory.name(holder)} 的下级单位")


class HandleSchema(StepSchema):
    """处置: done (with the result), ask for an extension, ask to suspend the case while it waits on a
    third party (挂起, with the expected resume date), or return as not ours."""

    action = fields.String(required=True, validate=one_of(("done", "extend", "return", "suspend")))
    result = fields.String(load_default="", validate=length(max=2000))
    working_days = fields.Integer(load_default=None, allow_none=True, validate=between(1, 30))
    reason = fields.String(load_default="", validate=length(max=1000))
    resume_on = fields.String(load_default=None, allow_none=True, metadata={"format": "date"},
                              validate=validate.Regexp(DATE_PATTERN, error="须为日期，如 2026-12-08"))
    required_when = {"action": {"done": ("办结", ("result",)), "extend": ("申请延期", ("working_days", "reason")),
                                "return": ("退回", ("reason",)), "suspend": ("申请挂起", ("reason", "resume_on"))}}

    outcome = staticmethod(lambda form: form["action"])

    def in_context(self, form, ctx):
        if form["action"] == "return" and len(ctx.state.chain) < 2:
            raise _invalid("action", "指挥中心自行处置的案件不能退回")
        if form["action"] == "suspend":
            if "approve_suspension" not in ctx.steps:
                raise _invalid("action", "此案件的流程版本不支持挂起")
            refused = deadlines.suspension_refusal(ctx.calendar, ctx.state, ctx.now)
            if refused:
                raise _invalid("action", refused)
            refused = deadlines.resume_date_refusal(ctx.calendar, date.fromisoformat(form["resume_on"]), ctx.now)
            if refused:
                raise _invalid("resume_on", refused)


class ApproveExtensionSchema(StepSchema):
    """延期审批: approve (possibly fewer days than asked) or refuse."""

    approved = fields.Boolean(required=True)
    # left out: as many as the unit asked for (the extension service reads the asked days)
    working_days = fields.Integer(load_default=None, allow_none=True, validate=between(1, 30))
    comment = fields.String(load_default="", validate=length(max=1000))

    outcome = _yes_no("approved", "approved", "refused")


class ApproveSuspensionSchema(StepSchema):
    """挂起审批: approve the unit's suspension (the clock stops until it resumes) or refuse it."""

    approved = fields.Boolean(required=True)
    comment = fields.String(load_default="", validate=length(max=1000))

    outcome = _yes_no("approved", "approved", "refused")

    def in_context(self, form, ctx):
        if not form["approved"]:
            return
        asked = ctx.data.get("resume_on")
        refused = deadlines.suspension_refusal(ctx.calendar, ctx.state, ctx.now) or (
            asked and deadlines.resume_date_refusal(ctx.calendar, date.fromisoformat(asked), ctx.now))
        if refused:
            raise _invalid("approved", f"{refused}，只能不批准")


class ResumeCaseSchema(StepSchema):
    """恢复: the suspended case's unit resumes handling (the clock runs again)."""

    comment = fields.String(load_default="", validate=length(max=1000))

    outcome = staticmethod(lambda form: "resumed")


class ReviewSchema(StepSchema):
    """审核: approve the handling result on its way up, or send it back to the handler."""

    approved = fields.Boolean(required=True)
    comment = fields.String(load_default="", validate=length(max=1000))

    outcome = _yes_no("approved", "approved", "sent_back")
    required_when = {"approved": {False: ("退回重办", ("comment",))}}


class CheckResultSchema(StepSchema):
    """核查: the grid worker's on-site check."""

    passed = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=length(max=1000))

    outcome = _yes_no("passed", "passed", "failed")
    required_when = {"passed": {False: ("核查不通过", ("note",))}}


class CloseCaseSchema(StepSchema):
    """结案."""

    comment = fields.String(load_default="", validate=length(max=1000))

    outcome = staticmethod(lambda form: "closed")


class SuperviseSchema(StepSchema):
    """督办: the shift lead presses the unit holding an overdue case."""

    comment = fields.String(required=True, validate=length(min=1, max=1000))

    outcome = staticmethod(lambda form: "supervised")


class SuperviseReplySchema(StepSchema):
    """督办回复: the pressed unit says what it will do and by when."""

    plan = fields.String(required=True, validate=length(min=1, max=1000))
    # Kept as text in the case data; a real date of 2000-2099, e.g. 2026-12-08.
    promised_by = fields.String(required=True, validate=validate.Regexp(DATE_PATTERN, error="须为日期，如 2026-12-08"),
                                metadata={"format": "date"})

    outcome = staticmethod(lambda form: "replied")


FORMS = {
    "accept_report": AcceptReportSchema,
    "verify_report": VerifyReportSchema,
    "dispatch": DispatchSchema,
    "handle": HandleSchema,
    "approve_extension": ApproveExtensionSchema,
    "review": ReviewSchema,
    "check_result": CheckResultSchema,
    "close_case": CloseCaseSchema,
    "supervise": SuperviseSchema,
    "supervise_reply": SuperviseReplySchema,
    "approve_suspension": ApproveSuspensionSchema,
    "resume_case": ResumeCaseSchema,
}
