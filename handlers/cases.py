"""Cases (案件): the report that starts one, its summary row (derived from the instance after every
step), who may see it, and the JSON shown by `cases show` and the API."""
from datetime import datetime, timezone, timedelta

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from engine import deployments, instances
from engine.db import Base
from engine.models import UTCDateTime

from . import org

PROCESS_ID = "case_handling"
SHANGHAI = timezone(timedelta(hours=8))
END_STATUS = {"closed": "closed", "voided": "voided", "merged": "merged", "closed_on_spot": "closed_on_spot"}
# While open, a case's status is the `status` property of its open step in the default process.
OPEN_STATUSES = ("accepting", "verifying", "dispatching", "handling", "extension", "reviewing", "checking",
                 "closing")
STATUSES = OPEN_STATUSES + tuple(END_STATUS.values())
PARALLEL_STEPS = ("supervise",)   # open beside the main path; never says where the case stands
REPORT_FIELDS = ("channel", "category", "description", "address", "community", "grid", "lat", "lng",
                 "external_ref", "suggested_urgency", "fixed_on_spot")


class CaseError(ValueError):
    """A report or case operation refused; `field` names the input at fault."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(20), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), unique=True)
    # the report, as given
    channel: Mapped[str] = mapped_column(String(20))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(6))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(500), default="")
    community: Mapped[str | None] = mapped_column(String(20), index=True)
    grid: Mapped[str | None] = mapped_column(String(30))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    suggested_urgency: Mapped[str | None] = mapped_column(String(1))
    fixed_on_spot: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter: Mapped[str | None] = mapped_column(String(100))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # derived from the instance after every step
    status: Mapped[str] = mapped_column(String(20), default="accepting", index=True)
    urgency: Mapped[str | None] = mapped_column(String(1))
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    holder_unit: Mapped[str | None] = mapped_column(String(20), index=True)
    handler_unit: Mapped[str | None] = mapped_column(String(20))
    reached: Mapped[list] = mapped_column(JSON, default=list)   # every unit the case has been with
    merged_into: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("channel", "external_ref"),)


def shanghai(dt):
    return dt.astimezone(SHANGHAI).isoformat() if dt else None


def parse_instant(value):
    return datetime.fromisoformat(value).astimezone(timezone.utc) if value else None


def get_by_no(session, case_no):
    return session.scalar(select(Case).where(Case.case_no == case_no))


def get_by_instance(session, instance_id):
    return session.scalar(select(Case).where(Case.instance_id == instance_id))


def next_case_no(session, now):
    """YYYYMMDD (Beijing date) + a 5-digit serial of that day; the unique index settles races."""
    prefix = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    count = session.scalar(select(func.count()).select_from(Case).where(Case.case_no.like(prefix + "%")))
    return f"{prefix}{count + 1:05d}"


def locate(directory, data):
    """Fill and check the community/grid pair of a report."""
    grid, community = data.get("grid"), data.get("community")
    if grid:
        if directory.kind(grid) != "grid":
            raise CaseError(f"未知网格 {grid}", "grid")
        if community and directory.parent(grid) != community:
            raise CaseError(f"网格 {grid} 不属于社区 {community}", "grid")
        community = directory.parent(grid)
    if directory.kind(community) != "community":
        raise CaseError(f"未知社区 {community}", "community")
    return community, grid


def report(session, runtime, directory, *, user, data) -> tuple[Case, bool]:
    """File a report (already schema-validated) and start its case; returns (case, created).

    Idempotent on (channel, external_ref): a retry returns the existing case and starts nothing.
    """
    if data.get("external_ref"):
        existing = session.scalar(select(Case).where(Case.channel == data["channel"],
                                                     Case.external_ref == data["external_ref"]))
        if existing is not None:
            return existing, False
    if data.get("fixed_on_spot") and user.role != "grid":
        raise CaseError("只有网格员可当场处置", "fixed_on_spot")
    community, grid = locate(directory, data)
    deployment = deployments.latest(session, PROCESS_ID)
    if deployment is None:
        raise CaseError("the case process is not deployed (run `flask --app app db upgrade`)")
    now = runtime.clock.now()
    case_no = next_case_no(session, now)
    start_data = {k: data.get(k) for k in REPORT_FIELDS}
    start_data.update(community=community, grid=grid, case_no=case_no, center=directory.center(),
                      reported_at=shanghai(now), reporter=user.username)
    loaded = instances.start(session, runtime, deployment=deployment, data=start_data, actor=user.username)
    case = loaded.scratch["case"] = Case(case_no=case_no, instance_id=loaded.id, reporter=user.username, reported_at=now,
                **{k: start_data[k] for k in REPORT_FIELDS})
    session.add(case)
    instances.save(session, runtime, loaded)
    return case, True


def case_of(session, loaded):
    """The case of a loaded instance, looked up once per unit of work."""
    if "case" not in loaded.scratch:
        loaded.scratch["case"] = get_by_instance(session, loaded.id)
    return loaded.scratch["case"]


def refresh(session, loaded):
    """Listener: derive the case row from the instance's state."""
    case = case_of(session, loaded)
    if case is None:
        return
    main = loaded.main_task(exclude=PARALLEL_STEPS)
    data = main.data
    if data.get("due_at"):   # filed: the intake operator's grading is now the case's
        case.urgency = data.get("urgency")
        case.category = data.get("category") or case.category
    case.filed_at = parse_instant(data.get("filed_at"))
    case.due_at = parse_instant(data.get("due_at"))
    case.due_provisional = bool(data.get("due_provisional"))
    case.holder_unit = data.get("holder") if not loaded.instance.completed else None
    case.handler_unit = data.get("handler") or case.handler_unit
    reached = set(case.reached or []) | set(data.get("chain") or [])
    reached.update(u for u in (data.get("handler"), data.get("reviewer"), data.get("holder")) if u)
    case.reached = sorted(reached)
    if loaded.instance.completed:
        case.status = END_STATUS.get(loaded.instance.end_event, loaded.instance.end_event or "completed")
        case.closed_at = case.closed_at or loaded.instance.updated_at
        case.holder_unit = None
    else:
        props = main.task_spec.extensions.get("properties", {}) if hasattr(main.task_spec, "extensions") else {}
        case.status = props.get("status", case.status)
    if loaded.instance.end_event == "merged":
        case.merged_into = data.get("duplicate_of")


def can_see(directory, user, case):
    """The command center, owners, auditors and admins see every case; others their subtree's."""
    if user.role in org.SEE_ALL_ROLES:
        return True
    units = [case.community, case.grid, *(case.reached or [])]
    return any(u and directory.is_within(u, user.unit_code) for u in units)


def merge_case(call, duplicate_of):
    """Service `merge_case`: link this report to the open case it duplicates."""
    if call.context.replay:   # it was checked when it happened; the target may be closed by now
        return {"merged_into": duplicate_of}
    session = call.context.session
    target = get_by_no(session, duplicate_of)
    if target is None or target.status in END_STATUS.values() or target.instance_id == call.context.instance_id:
        raise CaseError(f"没有可并入的在办案件 {duplicate_of}", "duplicate_of")
    call.context.record("merged", {"into": duplicate_of})
    return {"merged_into": duplicate_of}


def notify(call, kind):
    """Service `notify`: the yellow light; recorded on the case's timeline."""
    call.context.record("notified", {"kind": kind, "at": shanghai(call.now)})
    return {"kind": kind, "at": shanghai(call.now)}
