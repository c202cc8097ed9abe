"""Versions of the case process, for process owners: deploy BPMN/DMN files (from the modeller, an
upload or the API) with every problem located on its element (and table), the version list with
the number of running cases on each, a readable diff between two versions, and moving running
cases to another version (a dry run first, then one unit of work per case).

The XML is only ever parsed by engine.deployments / engine.spiff.parse_xml (no entities, no DTD,
no network); this module adds the checks that come before it (names, count, size) and the
reading aids that come after it (element names, decision tables, line numbers)."""
import re
from dataclasses import dataclass, field
from threading import Lock

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine import deployments, instances, migration, spiff
from engine.deployments import DeploymentError, Problem
from engine.models import Deployment, Instance

from . import cases

PROCESS_ID = cases.PROCESS_ID
MAX_FILE_BYTES = deployments.MAX_FILE_BYTES
MAX_FILES = 20
MAX_NOTE = 500
FILE_NAME = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9\u4e00-\u9fff _.()-]{0,99}\.(bpmn|dmn)$")
BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


class TooLarge(DeploymentError):
    """A file (or the set) is over the upload limit; nothing of it was parsed."""


# --- files in, problems out -------------------------------------------------------------------

def clean_note(note):
    """The change note as stored: stripped, control characters refused, at most MAX_NOTE characters."""
    note = (note or "").strip()
    if BAD_TEXT.search(note):
        raise DeploymentError([Problem(None, None, None, "说明不能包含控制字符")])
    if len(note) > MAX_NOTE:
        raise DeploymentError([Problem(None, None, None, f"说明最多 {MAX_NOTE} 个字")])
    return note


def check_files(files: dict[str, bytes]):
    """Refuse what must not reach the XML parser: bad names, too many files, files too large
    (TooLarge). Names are reduced to their last path component first."""
    problems = []
    if not files:
        raise DeploymentError([Problem(None, None, None, "没有文件：请至少提供一个 .bpmn 文件")])
    if len(files) > MAX_FILES:
        raise DeploymentError([Problem(None, None, None, f"一次最多 {MAX_FILES} 个文件")])
    large = [name for name, data in files.items() if len(data) > MAX_FILE_BYTES]
    if large:
        raise TooLarge([Problem(name, None, None, f"文件超过 {MAX_FILE_BYTES // 1024} KiB 的上限")
                        for name in large])
    for name in files:
        if not FILE_NAME.match(name):
            problems.append(Problem(name, None, None, "文件名只能含字母、数字、汉字、._-，并以 .bpmn 或 .dmn 结尾"))
    if problems:
        raise DeploymentError(problems)


def base_name(filename):
    """The last path component of a client's file name (browsers may send a path)."""
    return re.split(r"[\\/]", filename or "")[-1].strip()


def with_base(files: dict[str, bytes], base: Deployment | None):
    """The given files over the files of `base` (same names replaced, the others kept)."""
    merged = {name: text.encode("utf-8") for name, text in (base.files if base else {}).items()}
    merged.update(files)
    return merged


def validate(runtime, files: dict[str, bytes]):
    """Parse and lint without storing anything; returns the located problems (empty: deployable)."""
    check_files(files)
    try:
        deployments.parse(files, PROCESS_ID, runtime)
    except DeploymentError as err:
        return locate(err.problems, files)
    return []


def deploy(session, runtime, *, files: dict[str, bytes], actor, note=""):
    """Validate and store the files as a new version of the case process; returns (deployment,
    created). The same content again returns the existing version (created False). Raises
    DeploymentError (problems located by `locate`) and nothing is stored."""
    note = clean_note(note)
    check_files(files)
    digest = deployments.content_hash(files, PROCESS_ID)
    existing = session.scalar(select(Deployment).where(Deployment.hash == digest))
    if existing is not None:
        return existing, False
    try:
        deployment = deployments.deploy(session, runtime, files=files, process_id=PROCESS_ID, actor=actor,
                                        note=note)
    except DeploymentError as err:
        raise DeploymentError([Problem(**p) for p in located_dicts(err.problems, files)]) from None
    return deployment, True


# --- locating problems ------------------------------------------------------------------------

def _roots(files):
    """{file name: parsed root} of the files that parse (safely); the others are left out."""
    roots = {}
    for name, data in files.items():
        try:
            roots[name] = spiff.parse_xml(data if isinstance(data, bytes) else data.encode("utf-8"), name)
        except (etree.XMLSyntaxError, ValidationException, ValueError):
            continue
    return roots


def called_decisions(roots):
    """{business rule task id: decision id} from the BPMN files."""
    found = {}
    for name, root in roots.items():
        if not name.endswith(".bpmn"):
            continue
        for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
            called = task.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}calledDecisionId")
            if called is not None and (called.text or "").strip():
                found[task.get("id")] = called.text.strip()
    return found


def decision_files(roots):
    """{decision id: DMN file name}."""
    found = {}
    for name, root in roots.items():
        if name.endswith(".dmn"):
            for element in root.iter():
                if isinstance(element.tag, str) and etree.QName(element).localname == "decision" and element.get("id"):
                    found[element.get("id")] = name
    return found


# The engine's (English) problem messages, as the owners read them; anything else is shown as is.
_WORDS = [
    (re.compile(r'^timer expression (.+) is read as a variable name; write a string: (.+)$'),
     r"计时器表达式 \1 会被当作变量名，计时器永远不会触发；字符串须加引号：\2"),
    (re.compile(r"^user task names form (.+); known forms: (.+)$"), r"人工任务的表单 \1 不存在；已有的表单：\2"),
    (re.compile(r"^user task has no '(\w+)' property$"), r"人工任务缺少 \1 属性"),
    (re.compile(r"^service task calls (.+), which is not a registered handler$"), r"服务任务调用的 \1 不是系统注册的处理器"),
    (re.compile(r"^decision table has no rule for (\w+) = (.+)$"), r"决策表没有 \1 = \2 的规则（每个取值都必须有结果）"),
    (re.compile(r"^decision table: (.+)$"), r"决策表有误：\1"),
    (re.compile(r"^not well-formed XML: (.+)$"), r"XML 格式错误：\1"),
    (re.compile(r"^DOCTYPE declarations are not allowed$"), "不允许 DOCTYPE 声明（XML 实体和外部引用一律拒绝）"),
    (re.compile(r"^only \.bpmn and \.dmn files can be deployed$"), "只能部署 .bpmn 和 .dmn 文件"),
    (re.compile(r"^file larger than (\d+) KiB$"), r"文件超过 \1 KiB 的上限"),
    (re.compile(r"^not UTF-8 \(byte (\d+)\); save the file as UTF-8$"), r"不是 UTF-8 编码（第 \1 字节）；请以 UTF-8 保存"),
]
_PREFIXES = [("script: ", "脚本："), ("condition: ", "条件："), ("timer expression: ", "计时器表达式："),
             ("role expression: ", "role 表达式："), ("unit expression: ", "unit 表达式：")]
_SANDBOX = [
    (re.compile(r"^imports are not allowed$"), "不允许 import"),
    (re.compile(r"^the name (.+) is not allowed$"), r"不允许使用名称 \1"),
    (re.compile(r"^access to the private attribute (.+) is not allowed$"), r"不允许访问私有属性 \1"),
    (re.compile(r"^access to the attribute (.+) is not allowed$"), r"不允许访问属性 \1"),
    (re.compile(r"^while loops are not allowed.*$"), "不允许 while 循环（请遍历数据或 range）"),
    (re.compile(r"^global/nonlocal are not allowed$"), "不允许 global/nonlocal"),
]
_PARAMETER = re.compile(r"^parameter (.+?): (.+)$")


def message_zh(message):
    """An engine problem message in Chinese where it is one we know (the rest unchanged)."""
    for pattern, words in _WORDS:
        if pattern.match(message):
            return pattern.sub(words, message)
    prefix, rest = "", message
    parameter = _PARAMETER.match(message)
    if parameter:
        prefix, rest = f"参数 {parameter[1]}：", parameter[2]
    else:
        for english, chinese in _PREFIXES:
            if message.startswith(english):
                prefix, rest = chinese, message[len(english):]
                break
    if prefix:
        for pattern, words in _SANDBOX:
            if pattern.match(rest):
                return prefix + pattern.sub(words, rest)
        return prefix + rest
    return message


@dataclass
class Located:
    """A problem with what the modeller needs to show it: the file, element, line and message as
    the engine gave them (the file and line filled in where the element was found), the element's
    name, and the decision table concerned (for table problems)."""

    file: str | None
    element: str | None
    line: int | None
    message: str            # in Chinese where known (message_zh)
    name: str | None = None
    decision: str | None = None
    table_file: str | None = None
    detail: str | None = None    # the engine's own words

    def as_dict(self):
        return dict(file=self.file, element=self.element, line=self.line, message=self.message,
                    name=self.name, decision=self.decision, table_file=self.table_file, detail=self.detail)


def locate(problems, files):
    """Fill in the file and line of each problem whose element is found in the files; name the
    decision table behind a business rule task's problem."""
    roots = _roots(files)
    by_id = {}
    for name, root in roots.items():
        for element in root.iter():
            if isinstance(element.tag, str) and element.get("id"):
                by_id.setdefault(element.get("id"), (name, element))
    calls, tables = called_decisions(roots), decision_files(roots)
    result = []
    for p in problems:
        file, line, label = p.file, p.line, None
        found = by_id.get(p.element) if p.element else None
        if found is not None:
            file = file or found[0]
            line = line or found[1].sourceline
            label = found[1].get("name")
        decision = calls.get(p.element) or (p.element if p.element in tables else None)
        if decision is None and file and file.endswith(".dmn"):
            decision = next((d for d, f in tables.items() if f == file), None)
        table_file = tables.get(decision) if decision else (file if file and file.endswith(".dmn") else None)
        result.append(Located(file, p.element, line, message_zh(p.message), label, decision, table_file, p.message))
    return result


def located_dicts(problems, files):
    """The engine's problems as {file, element, line, message} with file and line filled in."""
    return [dict(file=p.file, element=p.element, line=p.line, message=p.detail) for p in locate(problems, files)]


# --- versions ---------------------------------------------------------------------------------

@dataclass
class Version:
    deployment: Deployment
    running: int            # cases not ended that run on it
    latest: bool


def running_counts(session):
    """{deployment id: number of running cases on it}."""
    rows = session.execute(select(Instance.deployment_id, func.count())
                           .join(cases.Case, cases.Case.instance_id == Instance.id)
                           .where(Instance.completed.is_(False)).group_by(Instance.deployment_id))
    return dict(rows.all())


def list_versions(session):
    """Every version of the case process, newest first, with its running cases."""
    counts = running_counts(session)
    rows = list(session.scalars(select(Deployment).where(Deployment.process_id == PROCESS_ID)
                                .order_by(Deployment.id.desc())))
    return [Version(d, counts.get(d.id, 0), i == 0) for i, d in enumerate(rows)]


def get(session, version_id):
    deployment = session.get(Deployment, version_id)
    return deployment if deployment is not None and deployment.process_id == PROCESS_ID else None


def latest(session):
    return deployments.latest(session, PROCESS_ID)


def ordered_files(deployment):
    """The deployment's file names: BPMN first, then DMN, each alphabetically."""
    return sorted(deployment.files, key=lambda n: (not n.endswith(".bpmn"), n))


def running_cases(session, version_id):
    """The cases not ended that run on a version, oldest first."""
    return list(session.scalars(select(cases.Case).join(Instance, cases.Case.instance_id == Instance.id)
                                .where(Instance.deployment_id == version_id, Instance.completed.is_(False))
                                .order_by(cases.Case.id)))


# --- a readable diff --------------------------------------------------------------------------

TYPE = {
    "userTask": "人工任务", "serviceTask": "服务任务", "scriptTask": "脚本任务", "businessRuleTask": "决策任务",
    "manualTask": "手工任务", "task": "任务", "sendTask": "发送任务", "receiveTask": "接收任务",
    "exclusiveGateway": "排他网关", "parallelGateway": "并行网关", "inclusiveGateway": "包容网关",
    "eventBasedGateway": "事件网关", "startEvent": "开始事件", "endEvent": "结束事件", "boundaryEvent": "边界事件",
    "intermediateCatchEvent": "中间捕获事件", "intermediateThrowEvent": "中间抛出事件", "subProcess": "子流程",
    "callActivity": "调用活动", "sequenceFlow": "顺序流", "process": "流程",
}
ATTRIBUTE = {
    "bpmn_name": "名称", "extensions": "扩展属性", "event_definition": "事件定义（计时器）",
    "cond_task_specs": "分支条件", "default_task_spec": "默认分支", "script": "脚本", "operation_name": "服务处理器",
    "operation_params": "服务参数", "result_variable": "结果变量", "inputs": "入口连线", "outputs": "出口连线",
    "documentation": "说明", "lane": "泳道", "prescript": "前置脚本", "postscript": "后置脚本",
    "dmnEngine": "决策表", "decision_table": "决策表内容", "cancel_activity": "中断活动", "manual": "人工", "data_input_associations": "输入数据",
    "data_output_associations": "输出数据", "io_specification": "输入输出",
}
PROPERTY = {"form": "表单", "role": "办理角色", "unit": "办理单位", "status": "案件状态"}
_ELEMENTS = {}
_ELEMENTS_LOCK = Lock()


def elements(deployment):
    """{element id: (BPMN type, name)} of the deployment's BPMN files (cached by content hash:
    deployments never change)."""
    with _ELEMENTS_LOCK:
        found = _ELEMENTS.get(deployment.hash)
    if found is None:
        found = {}
        for name, root in _roots({n: t for n, t in deployment.files.items() if n.endswith(".bpmn")}).items():
            for element in root.iter():
                if isinstance(element.tag, str) and element.get("id"):
                    found.setdefault(element.get("id"), (etree.QName(element).localname, element.get("name") or ""))
        with _ELEMENTS_LOCK:
            _ELEMENTS[deployment.hash] = found
    return found


@dataclass
class Element:
    id: str
    type: str               # in Chinese
    name: str


@dataclass
class Change:
    element: Element
    attributes: list        # Chinese names of what changed
    details: list = field(default_factory=list)   # (what, before, after)


def _element(deployment, bpmn_id):
    kind, name = elements(deployment).get(bpmn_id, ("", ""))
    return Element(bpmn_id, TYPE.get(kind, kind or "元素"), name)


def _facts(task_spec):
    """What an owner edits on an element, as {label: text}."""
    if task_spec is None:
        return {}
    facts = {"名称": getattr(task_spec, "bpmn_name", None) or ""}
    props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    for key, value in props.items():
        facts[PROPERTY.get(key, key)] = value
    definition = getattr(task_spec, "event_definition", None)
    if getattr(definition, "expression", None) is not None:
        facts["计时器表达式"] = definition.expression
    if getattr(task_spec, "script", None):
        facts["脚本"] = task_spec.script
    for condition, target in getattr(task_spec, "cond_task_specs", None) or []:
        if condition is not None and getattr(condition, "args", None):
            facts[f"条件 → {target}"] = condition.args[0]
    if getattr(task_spec, "operation_name", None):
        facts["服务处理器"] = task_spec.operation_name
        for name, param in (getattr(task_spec, "operation_params", None) or {}).items():
            facts[f"参数 {name}"] = f"{param.get('value')}（{param.get('type')}）"
    called = (getattr(task_spec, "extensions", None) or {}).get("calledDecisionId")
    if called:
        facts["决策表"] = called
    return facts


def _task_specs(specs):
    spec, subprocess_specs = specs
    return {ts.bpmn_id: ts for ts in deployments.all_task_specs(spec, subprocess_specs)
            if getattr(ts, "bpmn_id", None)}


def _dmn_tables(deployment):
    """{decision id: {name, file, inputs: [label], outputs: [label], rules: {rule id: description}}}."""
    tables = {}
    for name, root in _roots({n: t for n, t in deployment.files.items() if n.endswith(".dmn")}).items():
        ns = root.nsmap.get(None) or deployments.DMN_NS["dmn"]
        for decision in root.iter(f"{{{ns}}}decision"):
            inputs = [(i.get("label") or i.findtext(f"{{{ns}}}inputExpression/{{{ns}}}text") or "").strip()
                      for i in decision.iter(f"{{{ns}}}input")]
            outputs = [(o.get("label") or o.get("name") or "").strip() for o in decision.iter(f"{{{ns}}}output")]
            rules = {r.get("id"): (r.findtext(f"{{{ns}}}description") or "").strip()
                     for r in decision.iter(f"{{{ns}}}rule")}
            tables[decision.get("id")] = dict(name=decision.get("name") or decision.get("id"), file=name,
                                              inputs=inputs, outputs=outputs, rules=rules)
    return tables


def readable_diff(runtime, old: Deployment, new: Deployment):
    """engine.deployments.diff in words: per process, the elements added, removed and changed
    (what changed, before and after); per decision table, the rows added, removed and changed."""
    found = deployments.diff(runtime, old, new)
    old_specs, new_specs = _task_specs(runtime.specs(old)), _task_specs(runtime.specs(new))
    processes = []
    for process, entry in found["processes"].items():
        if entry.get("removed_process"):
            processes.append(dict(id=process, removed=True, added=[], deleted=[], changed=[]))
            continue
        changed = []
        for bpmn_id, attrs in sorted(entry["changed"].items()):
            before, after = _facts(old_specs.get(bpmn_id)), _facts(new_specs.get(bpmn_id))
            details = [(key, before.get(key, "—"), after.get(key, "—"))
                       for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]
            changed.append(Change(_element(new, bpmn_id), [ATTRIBUTE.get(a, a) for a in attrs], details))
        processes.append(dict(id=process, name=elements(new).get(process, ("", process))[1] or process,
                              removed=False, added=[_element(new, i) for i in entry["added"]],
                              deleted=[_element(old, i) for i in entry["removed"]], changed=changed))
    old_tables, new_tables = _dmn_tables(old), _dmn_tables(new)
    tables = []
    for decision, entry in found["tables"].items():
        info = new_tables.get(decision) or old_tables.get(decision) or {}

        def row(rule_id, cells, source):
            return dict(id=rule_id, description=(source.get(decision) or {}).get("rules", {}).get(rule_id, ""),
                        inputs=list(cells[0]), outputs=list(cells[1]))
        tables.append(dict(
            id=decision, name=info.get("name", decision), file=info.get("file"),
            inputs=info.get("inputs", []), outputs=info.get("outputs", []),
            new=decision not in old_tables, gone=decision not in new_tables,
            added=[row(r, cells, new_tables) for r, cells in entry["added"].items()],
            removed=[row(r, cells, old_tables) for r, cells in entry["removed"].items()],
            changed=[(row(r, c["before"], old_tables), row(r, c["after"], new_tables))
                     for r, c in entry["changed"].items()],
        ))
    files = dict(added=sorted(set(new.files) - set(old.files)), removed=sorted(set(old.files) - set(new.files)),
                 changed=sorted(n for n in set(old.files) & set(new.files) if old.files[n] != new.files[n]))
    return dict(old=old, new=new, processes=processes, tables=tables, files=files,
                empty=not any(p["added"] or p["deleted"] or p["changed"] or p["removed"] for p in processes)
                and not any(t["added"] or t["removed"] or t["changed"] for t in tables))


# --- migration --------------------------------------------------------------------------------

STATE = {"COMPLETED": "已完成", "STARTED": "进行中", "READY": "待办", "WAITING": "等待中"}
_REASON = re.compile(r"^(\S+) \((\w+)\) is (removed|changed) in the target$")


def reason_text(reason, deployment=None):
    """One of migration.check's reasons in Chinese (the element named from the diagram)."""
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
        case = cases.get_by_no(session, case_no)
        if case is None:
            result.append(Plan(case_no, None, None, False, ["没有这个案件"]))
            continue
        instance = session.get(Instance, case.instance_id)
        if instance.completed:
            result.append(Plan(case_no, case.status, instance.deployment_id, False, ["案件已办结，不需要迁移"]))
            continue
        loaded = instances.load(session, runtime, case.instance_id, actor=actor)
        check = migration.check(loaded, runtime, target)
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
                case = cases.get_by_no(session, case_no)
                if case is None:
                    raise instances.NotFound("没有这个案件")
                instance = session.get(Instance, case.instance_id)
                before = instance.deployment_id
                if instance.completed:
                    raise instances.Conflict("案件已办结，不需要迁移")
                source = runtime.deployment(session, before)
                try:
                    migration.migrate(session, runtime, case.instance_id, runtime.deployment(session, target_id),
                                      actor=actor)
                except instances.Conflict as exc:
                    # migration.check's reasons, joined by "; " (or a lost race, said in English)
                    raise instances.Conflict("；".join(reason_text(r, source) for r in str(exc).split("; ")))
            result.append(Moved(case_no, True, f"已从版本 {before} 迁移到版本 {target_id}", before))
        except (instances.NotFound, instances.Conflict) as exc:
            result.append(Moved(case_no, False, str(exc)))
        except SQLAlchemyError:
            result.append(Moved(case_no, False, "案件同时被他人修改，未迁移；请重试"))
    return result
