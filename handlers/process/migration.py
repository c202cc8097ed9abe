"""Moving running cases to another version, for owners: a dry run that says which cases can move
and, for the others, why not (in Chinese, naming the element), then the move, one unit of work per
case, each recorded as a `migrated` event in the case's history."""
import re
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from engine import instance_migration, instances
from engine.models import Deployment, Instance

from ..cases.service import get_by_no
from .diff import elements


STATE = {"COMPLETED": "已完成", "STARTED": "进行中", "READY": "待办", "WAITING": "等待中"}
_REASON = re.compile(r"^(\S+) \((\w+)\) is (removed|changed) in the target$")


def reason_text(reason, deployment=None):
    """One of instance_migration.check's reasons in Chinese (the element named from the diagram)."""
    match = _REASON.match(reason)
    if match:
        bpmn_id, state, what = match.groups()
        name = elements(deployment).get(bpmn_id, ("", ""))[1] if deployment is not None else ""
        label = f"「{name}」（{bpmn_id}）" if name else bpmn_id
        verb = "删除" if what == "removed" else "修改"
        return f"{label}{STATE.get(state, state)}，在目标版本中已被{verb}"
    if "was changed by someone else" in reason:
        return "案件同时被他人修改，未迁移；请重试"
    if reason == "already on this version":
        return "已在目标版本上"
    if reason.startswith("the target deploys process"):
        return "目标版本部署的不是同一个流程"
    if reason.startswith("a subprocess of the instance does not exist"):
        return "案件所在的子流程在目标版本中不存在"
    return reason


@dataclass
class Plan:
    case_no: str
    status: str | None
    version: int | None
    ok: bool
    reasons: list           # in Chinese


def plan(session, runtime, *, case_nos, target: Deployment, actor):
    """The dry run: for each case, can it move to `target`, and why not. Nothing is changed."""
    result = []
    for case_no in case_nos:
        case = get_by_no(session, case_no)
        if case is None:
            result.append(Plan(case_no, None, None, False, ["没有这个案件"]))
            continue
        instance = session.get(Instance, case.instance_id)
        if instance.completed:
            result.append(Plan(case_no, case.status, instance.deployment_id, False, ["案件已办结，不需要迁移"]))
            continue
        loaded = instances.load(session, runtime, case.instance_id, actor=actor)
        check = instance_migration.check(loaded, runtime, target)
        source = runtime.deployment(session, instance.deployment_id)
        result.append(Plan(case_no, case.status, instance.deployment_id, check.ok,
                           [reason_text(r, source) for r in check.reasons]))
    return result


@dataclass
class Moved:
    case_no: str
    ok: bool
    message: str
    version: int | None = None     # where it was before


def migrate(db, runtime, *, case_nos, target_id, actor):
    """Move each case to version `target_id` in its own unit of work (a refused or conflicting case
    does not hold up the others); each move is a `migrated` event in the case's history."""
    result = []
    for case_no in case_nos:
        try:
            with db.unit_of_work() as session:
                runtime.clock.sync(session)
                case = get_by_no(session, case_no)
                if case is None:
                    raise instances.NotFound("没有这个案件")
                instance = session.get(Instance, case.instance_id)
                before = instance.deployment_id
                if instance.completed:
                    raise instances.Conflict("案件已办结，不需要迁移")
                source = runtime.deployment(session, before)
                try:
                    instance_migration.migrate(session, runtime, case.instance_id, runtime.deployment(session, target_id),
                                      actor=actor)
                except instances.Conflict as exc:
                    # instance_migration.check's reasons, joined by "; " (or a lost race, said in English)
                    raise instances.Conflict("；".join(reason_text(r, source) for r in str(exc).split("; ")))
            result.append(Moved(case_no, True, f"已从版本 {before} 迁移到版本 {target_id}", before))
        except (instances.NotFound, instances.Conflict) as exc:
            result.append(Moved(case_no, False, str(exc)))
        except SQLAlchemyError:
            result.append(Moved(case_no, False, "案件同时被他人修改，未迁移；请重试"))
    return result
