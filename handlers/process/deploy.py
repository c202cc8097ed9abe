"""Deploying BPMN/DMN files (from the modeller, an upload or the API) as a new version of a case
process (the default one, or another by its id): the checks before the XML parser (names, count,
size), then the engine's parse and our lint, and every problem located on its element (file, line,
name, the decision table concerned) and said in Chinese where we know the engine's words. Nothing
is stored on any problem. Files not given are carried from the current version only when its case
process uses them, so a file uploaded once for nothing is not carried into every later version.
A new case process starts as a copy of the default one under the id its owner gives (`copy_default`).

The XML is only ever parsed by engine.deployments / engine.spiff.parse_xml (no entities, no DTD,
no network)."""
import re
from dataclasses import dataclass

from lxml import etree
from sqlalchemy import select
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine import deployments, sources, spiff
from engine.deployments import DeploymentError, Problem
from engine.models import Deployment

from .contract import PROCESS_ID, PROCESS_ID_PATTERN, READ_DECISIONS

MAX_FILE_BYTES = deployments.MAX_FILE_BYTES
MAX_FILES = 20
MAX_NOTE = 500
FILE_NAME = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9\u4e00-\u9fff _.()-]{0,99}\.(bpmn|dmn)$")
BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


class TooLarge(DeploymentError):
    """A file (or the set) is over the upload limit; nothing of it was parsed."""


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


def used_files(runtime, base: Deployment, *, read_decisions=None) -> set[str]:
    """The files of `base` its case process uses: the .bpmn files that define it and the processes
    it calls, the .dmn files of the decisions their tasks call or the code reads (READ_DECISIONS,
    for the default process; `read_decisions` instead when given)."""
    spec, subprocess_specs = runtime.specs(base)
    processes = {spec.name, *subprocess_specs}
    read = {name: sources.read_file(name, text.encode("utf-8"))[0] for name, text in base.files.items()}
    read = {name: source for name, source in read.items() if source is not None}
    bpmn = {name for name, source in read.items() if processes & set(source.processes)}
    if read_decisions is None:
        read_decisions = READ_DECISIONS if base.process_id == PROCESS_ID else ()
    wanted = set(read_decisions) | set(called_decisions({n: read[n].root for n in bpmn}).values())
    return bpmn | {name for name, source in read.items() if wanted & set(source.decisions)}


def with_base(runtime, files: dict[str, bytes], base: Deployment | None):
    """(files, not carried): the given files over those of `base` that its case process uses (same
    names replaced); the names of the other files of `base`, which are not carried."""
    if base is None:
        return dict(files), []
    used = used_files(runtime, base)
    merged = {name: text.encode("utf-8") for name, text in base.files.items() if name in used}
    merged.update(files)
    return merged, sorted(name for name in base.files if name not in merged)


def validate(session, runtime, files: dict[str, bytes], process_id=PROCESS_ID):
    """Parse and lint without storing anything; returns the located problems (empty: deployable)."""
    check_files(files)
    try:
        deployments.parse(files, process_id, runtime, deployed=deployments.deployed_processes(session))
    except DeploymentError as err:
        return locate(err.problems, files)
    return []


def deploy(session, runtime, *, files: dict[str, bytes], actor, note="", process_id=PROCESS_ID):
    """Validate and store the files as a new version of the case process `process_id`, made
    current; returns (deployment, created). The same content again returns the existing version
    (created False), which stays current or not as it was (see `already_deployed`). Raises
    DeploymentError (problems located by `locate`) and nothing is stored."""
    note = clean_note(note)
    check_files(files)
    digest = deployments.content_hash(files, process_id)
    existing = session.scalar(select(Deployment).where(Deployment.hash == digest))
    if existing is not None:
        return existing, False
    try:
        deployment = deployments.deploy(session, runtime, files=files, process_id=process_id, actor=actor,
                                        note=note)
    except DeploymentError as err:
        raise DeploymentError([Problem(**p) for p in located_dicts(err.problems, files)]) from None
    return deployment, True


def check_new_id(session, process_id):
    """A new process's id: letters, digits and _ (a lower-case letter first, 3-50 characters), not
    the id of a process deployed already; DeploymentError otherwise."""
    if not isinstance(process_id, str) or not re.match(PROCESS_ID_PATTERN, process_id):
        raise DeploymentError([Problem(None, None, None, "流程标识只能含小写字母、数字和下划线，以字母开头，3–50 个字符")])
    if process_id in deployments.deployed_processes(session):
        raise DeploymentError([Problem(None, process_id, None, f"流程 {process_id} 已存在")])
    return process_id


def copy_default(session, runtime, *, process_id, name, actor, note=""):
    """A new case process: the files the current default process uses, its main diagram renamed to
    `<process_id>.bpmn` with the process element's id (and a participant's reference to it) set to
    `process_id` and its name to `name`; validated and deployed like any version. Returns the
    deployment; DeploymentError (nothing stored) for a bad or taken id or name."""
    check_new_id(session, process_id)
    name = clean_note(name)
    if not name:
        raise DeploymentError([Problem(None, None, None, "请填写流程名称")])
    base = deployments.current(session, PROCESS_ID)
    if base is None:
        raise DeploymentError([Problem(None, PROCESS_ID, None, f"默认流程 {PROCESS_ID} 尚未部署")])
    # what its diagrams call; not the tables the code reads from the default process alone
    files = {n: base.files[n].encode("utf-8") for n in used_files(runtime, base, read_decisions=())}
    main = sources.defining_file(base.files, PROCESS_ID)
    root = spiff.parse_xml(files.pop(main), main)
    for element in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}participant"):
        if element.get("id") == PROCESS_ID:
            element.set("id", process_id)
            element.set("name", name)
        if element.get("processRef") == PROCESS_ID:
            element.set("processRef", process_id)
            element.set("name", name)
    for element in root.iter():   # the diagram's plane may point at the process itself
        if isinstance(element.tag, str) and element.get("bpmnElement") == PROCESS_ID:
            element.set("bpmnElement", process_id)
    files[f"{process_id}.bpmn"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    deployment, _ = deploy(session, runtime, files=files, actor=actor, process_id=process_id,
                           note=note or f"由默认流程 {PROCESS_ID} 版本 {base.id} 复制")
    return deployment


def already_deployed(deployment, current):
    """What an owner is told when the files are exactly those of an existing version."""
    if current is not None and current.id == deployment.id:
        return f"内容与当前版本 {deployment.id} 完全相同，未产生新版本"
    return (f"内容与版本 {deployment.id} 完全相同，未产生新版本；新案件仍按当前版本 "
            f"{current.id if current else '—'} 办理。如要改回版本 {deployment.id}，请在流程版本页将它设为当前版本")


# --- locating problems ------------------------------------------------------------------------

def parse_roots(files):
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
    roots = parse_roots(files)
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
