"""Cases as the services see them: reporting one (which starts its process), finding one, and the
checks a report and a merge make against the cases that exist."""
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from engine import direct, instances

from .. import localtime
from ..errors import Invalid
from ..org import capabilities
from ..process import routing
from ..process.contract import REPORT_FIELDS
from . import number_search, numbers, search
from .models import Case
from .statuses import is_ended


class CaseError(Invalid):
    """A report or case operation refused; `field` names the input at fault."""


def get_by_no(session, case_no):
    return session.scalar(select(Case).where(Case.case_no == case_no))


_BY_INSTANCE = select(Case).where(Case.instance_id == bindparam("instance_id"))   # built once: every sweep asks


def get_by_instance(session, instance_id):
    return session.scalar(_BY_INSTANCE, {"instance_id": instance_id})


def case_of(session, loaded):
    """The case of a loaded instance, looked up once per unit of work."""
    if "case" not in loaded.scratch:
        loaded.scratch["case"] = get_by_instance(session, loaded.id)
    return loaded.scratch["case"]


def locate(directory, data):
    """Fill and check the community/grid pair of a report."""
    grid, community = data.get("grid"), data.get("community")
    if grid:
        if directory.kind(grid) != "grid":
            raise CaseError(f"未知网格 {grid}", "grid")
        if not directory.is_active(grid):
            raise CaseError(f"网格 {directory.name(grid)} 已停用", "grid")
        if community and directory.parent(grid) != community:
            raise CaseError(f"网格 {grid} 不属于社区 {community}", "grid")
        community = directory.parent(grid)
    if directory.kind(community) != "community":
        raise CaseError(f"未知社区 {community}", "community")
    if not directory.is_active(community):
        raise CaseError(f"社区 {directory.name(community)} 已停用", "community")
    return community, grid


def open_in_unit(session, directory, *, user, code, now) -> int:
    """The open cases located in, held or handled within the unit's subtree: the case list's
    `/cases?unit=CODE&status=open`, as `user` sees it (an admin sees every case)."""
    return search.count(session, directory, user=user, filters=search.Filters(unit=code, status=search.OPEN), now=now)


def open_duplicate(session, case_no, *, instance_id):
    """The open case `case_no` that a report (of instance `instance_id`) may be merged into;
    raises CaseError on `duplicate_of` when there is none (unknown, ended, or the report itself)."""
    target = get_by_no(session, case_no)
    if target is None or is_ended(target.status) or target.instance_id == instance_id:
        raise CaseError(f"没有可并入的在办案件 {case_no}", "duplicate_of")
    return target


def by_reference(session, channel, external_ref):
    """The case a report with this channel and external reference filed, if any."""
    found = direct.entities(session, _by_reference(), {"channel": channel, "ref": external_ref}, (Case,))
    return found[0][0] if found else None


@cache
def _by_reference():
    # built once (every report from a channel asks), read past SQLAlchemy's execution (engine.direct)
    return select(*direct.columns(Case)).where(Case.channel == bindparam("channel"),
                                               Case.external_ref == bindparam("ref"))


def report(session, runtime, directory, *, user, data) -> tuple[Case, bool]:
    """File a report (already schema-validated) and start its case; returns (case, created).

    Idempotent on (channel, external_ref): a retry returns the existing case and starts nothing,
    also when it races the first one (the loser's insert meets the unique key; its part of the
    transaction is undone and the winner's case answered). Who may report on which channel is
    `intake.channels`' to check, before this is called.
    """
    ref = data.get("external_ref")
    if ref:
        existing = by_reference(session, data["channel"], ref)
        if existing is not None:
            return existing, False
    if data.get("fixed_on_spot") and not capabilities.can(user, "report_on_spot"):
        raise CaseError("只有网格员可当场处置", "fixed_on_spot")
    community, grid = locate(directory, data)
    route = routing.route(session, runtime, data)
    if route is None:
        raise CaseError("the case process is not deployed (run `flask --app app db upgrade`)")
    if not ref:
        return _file(session, runtime, directory, route, user=user, data=data, community=community,
                     grid=grid), True
    try:
        with instances.savepoint(session):
            case = _file(session, runtime, directory, route, user=user, data=data, community=community,
                         grid=grid)
    except IntegrityError:
        # Only a report of the same reference can have been quicker (the number is the counter's):
        # it has committed, or our insert would not have failed.
        existing = by_reference(session, data["channel"], ref)
        if existing is None:
            raise
        return existing, False
    return case, True


def _file(session, runtime, directory, route, *, user, data, community, grid) -> Case:
    """Number the report (the day's counter stays locked until the transaction ends, so this comes
    after every check) and start its case on the process the routing table chose (`route`),
    recorded on the case and, with the rule that chose it, on its `started` event."""
    now = runtime.clock.now()
    case_no = numbers.take(session, now)
    start_data = {k: data.get(k) for k in REPORT_FIELDS}
    start_data.update(community=community, grid=grid, case_no=case_no, center=directory.center(),
                      reported_at=localtime.isoformat(now), reporter=user.username)
    loaded = instances.start(session, runtime, deployment=route.deployment, data=start_data, actor=user.username,
                             about={"routing": {"process_id": route.process_id, "rule": route.rule,
                                                "table_version": route.table_version}})
    case = loaded.scratch["case"] = Case(case_no=case_no, instance_id=loaded.id, reporter=user.username,
                                         reported_at=now, process_id=route.process_id,
                                         **{k: start_data[k] for k in REPORT_FIELDS})
    session.add(case)
    instances.save(session, runtime, loaded)        # flushes the case row first: its id is known
    number_search.add(session, case)
    return case
