"""The files of a deployment as parsed XML: which processes and decisions each file defines (read
from the parsed elements, never by searching the text), and the checks SpiffWorkflow does not make
before its parser would fail with an IndexError or an XPath error: a .bpmn file is a BPMN document,
a .dmn file a DMN document SpiffWorkflow reads (its DMN namespace, one decision, a decision
table), and no process or decision id is defined by two files.

Everything here names the file (and the element and line where there is one); nothing raises for
bad content but `read`, and only DeploymentError."""
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS

from . import spiff
from .problems import DeploymentError, Problem

MAX_FILE_BYTES = 2 * 1024 * 1024
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DMN_NAMESPACES = tuple(DMN_SCHEMAS)          # the DMN versions SpiffWorkflow's parser knows


@dataclass
class Source:
    """One parsed file and the ids it defines."""

    name: str
    root: object
    processes: dict = field(default_factory=dict)    # process id -> element
    decisions: dict = field(default_factory=dict)    # decision id -> element

    @property
    def is_dmn(self):
        return self.name.endswith(".dmn")


def _local(element):
    return etree.QName(element).localname if isinstance(element.tag, str) else None


def _namespace(element):
    return etree.QName(element).namespace if isinstance(element.tag, str) else None


def _bpmn(name, root):
    if _local(root) != "definitions" or _namespace(root) != BPMN_NS:
        return None, [Problem(name, None, root.sourceline, f"not a BPMN file: the root element is <{_local(root)}> "
                              f"in {_namespace(root) or 'no namespace'}, not <definitions> in {BPMN_NS}")]
    source = Source(name, root)
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        source.processes[process.get("id")] = process
    if not source.processes:
        return None, [Problem(name, None, None, "the BPMN file defines no process")]
    return source, []


def _dmn(name, root):
    ns = _namespace(root)
    if _local(root) != "definitions" or ns not in DMN_NAMESPACES:
        what = "BPMN's <definitions> (a BPMN file saved as .dmn?)" if ns == BPMN_NS else \
            f"<{_local(root)}> in {ns or 'no namespace'}"
        return None, [Problem(name, None, root.sourceline, f"not a DMN file SpiffWorkflow reads: the root element "
                              f"is {what}; expected <definitions> in one of {', '.join(DMN_NAMESPACES)}")]
    if ns not in (root.nsmap.get(None), root.nsmap.get("dmn")):
        return None, [Problem(name, None, root.sourceline, "the DMN namespace must be the default namespace (xmlns=...) "
                              "or have the prefix dmn: SpiffWorkflow reads no other")]
    decisions = root.findall(f"{{{ns}}}decision")
    if not decisions:
        return None, [Problem(name, None, None, "the DMN file defines no decision")]
    if len(decisions) > 1:
        ids = ", ".join(d.get("id") or "?" for d in decisions)
        return None, [Problem(name, decisions[1].get("id"), decisions[1].sourceline,
                              f"the DMN file defines {len(decisions)} decisions ({ids}); SpiffWorkflow reads one "
                              "decision per file: put each in a file of its own")]
    [decision] = decisions
    problems = []
    if not decision.get("id"):
        problems.append(Problem(name, None, decision.sourceline, "the decision has no id"))
    tables = decision.findall(f"{{{ns}}}decisionTable")
    if len(tables) != 1 or len(decision.findall(f".//{{{ns}}}decision")) or any(not t.get("id") for t in tables):
        problems.append(Problem(name, decision.get("id"), decision.sourceline,
                                "the decision must be one decision table with an id (literal expressions, "
                                "decision services and nested decisions are not supported)"))
    if problems:
        return None, problems
    return Source(name, root, decisions={decision.get("id"): decision}), []


def read_file(name, data: bytes):
    """(Source or None, [Problem]) for one file: its name, size, encoding, XML and kind checked."""
    if not name.endswith((".bpmn", ".dmn")):   # refused by name, before its content is parsed
        return None, [Problem(name, None, None, "only .bpmn and .dmn files can be deployed")]
    if len(data) > MAX_FILE_BYTES:
        return None, [Problem(name, None, None, f"file larger than {MAX_FILE_BYTES // 1024} KiB")]
    try:
        data.decode("utf-8")   # stored as text (Deployment.files), hashed as bytes: they must agree
    except UnicodeDecodeError as exc:
        return None, [Problem(name, None, None, f"not UTF-8 (byte {exc.start}); save the file as UTF-8")]
    try:
        root = spiff.parse_xml(data, name)
    except etree.XMLSyntaxError as exc:
        return None, [Problem(name, None, exc.lineno, f"not well-formed XML: {exc.msg}")]
    except ValidationException as exc:
        return None, [Problem(name, None, None, str(getattr(exc, "msg", None) or exc))]
    return (_dmn if name.endswith(".dmn") else _bpmn)(name, root)


def read(files: dict[str, bytes]) -> dict[str, Source]:
    """{file name: Source} of every file; raises DeploymentError naming each bad file, and each
    process or decision id that two files define (both files named)."""
    sources, problems = {}, []
    for name, data in sorted(files.items()):
        source, found = read_file(name, data)
        problems.extend(found)
        if source is not None:
            sources[name] = source
    for kind in ("processes", "decisions"):
        seen = {}
        for name, source in sources.items():
            for element_id, element in getattr(source, kind).items():
                if element_id in seen:
                    what = "process" if kind == "processes" else "decision"
                    problems.append(Problem(name, element_id, element.sourceline,
                                            f"{what} {element_id} is defined twice: in {seen[element_id]} and in {name}"))
                else:
                    seen[element_id] = name
    if problems:
        raise DeploymentError(problems)
    return sources


def defining_file(files: dict, process_id: str):
    """The name of the .bpmn file whose parsed XML defines `process_id` (a process element with that
    id), or None; `files` holds text or bytes. Files that do not parse are passed over."""
    for name in sorted(n for n in files if n.endswith(".bpmn")):
        data = files[name]
        source, _ = read_file(name, data if isinstance(data, bytes) else data.encode("utf-8"))
        if source is not None and process_id in source.processes:
            return name
    return None


SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def files_of(found: dict[str, Source], process_id: str, read_decisions=()) -> set[str]:
    """The names of the files (of `read`'s result) a process uses: the .bpmn files that define it
    and the processes its call activities call, transitively, and the .dmn files of the decisions
    their business rule tasks call or that are read beside them (`read_decisions`)."""
    bpmn = bpmn_files_of(found, process_id)
    wanted = set(read_decisions)
    for name in bpmn:
        for task in found[name].root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
            called = task.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}calledDecisionId")
            if called is not None and (called.text or "").strip():
                wanted.add(called.text.strip())
    return bpmn | {name for name, source in found.items() if wanted & set(source.decisions)}


def bpmn_files_of(found: dict[str, Source], process_id: str) -> set[str]:
    """The names of the .bpmn files (of `read`'s result) that define `process_id` and the processes
    its call activities call, transitively."""
    defined = {pid: name for name, source in found.items() for pid in source.processes}
    names, todo, seen = set(), [process_id], set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in defined:
            continue
        seen.add(pid)
        names.add(defined[pid])
        element = found[defined[pid]].processes[pid]
        todo.extend(call.get("calledElement") for call in element.iter(f"{{{BPMN_NS}}}callActivity")
                    if call.get("calledElement"))
    return names
