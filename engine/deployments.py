"""Deployments: validate BPMN+DMN files (every process and decision in them), store them with their
parsed spec under a content hash, and keep which deployment of each process is current (new
instances start on it: the newest, or an earlier one an owner made current again)."""
import hashlib
import json
import re
from pathlib import Path
from types import SimpleNamespace

from lxml import etree
from sqlalchemy import select
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import direct, events, sources, spiff
from .models import CurrentDeployment, Deployment
from .problems import DeploymentError, Problem  # noqa: F401 - the engine's error shape, imported from here
from .sandbox import SandboxViolation, compile_checked

MAX_FILE_BYTES = sources.MAX_FILE_BYTES
# A `?` outside quotes in a decision table's match cell: the DMN engine's stand-in for the input.
QUESTION_MARK = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')
ISO_LITERAL = re.compile(r"^(R\d*/.*|P(\d|T)[0-9A-Z.]*|\d{4}-\d{2}-\d{2}.*)$")
# SpiffWorkflow's parsers meet some malformed input with errors of their own (an IndexError, an
# XPath error, an AttributeError raised while building a ValidationException): each is caught on
# the file or process concerned and reported there, never let through as a server error.
PARSER_ERRORS = (ValidationException, SpiffWorkflowException, KeyError, IndexError, AttributeError, TypeError,
                 ValueError, etree.XPathError)


def content_hash(files: dict[str, bytes], process_id: str) -> str:
    digest = hashlib.sha256(process_id.encode() + b"\0")
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def parse(files: dict[str, bytes], process_id: str, runtime, *, deployed=()):
    """Parse and lint the files: every process and every decision of every file, the domain's
    linters on `process_id` (the process deployed) and what it calls; `deployed` are the ids of the
    processes deployed beside it (which the domain's link linters may require a table to name
    only). Returns (spec, subprocess_specs) of `process_id` or raises DeploymentError."""
    found = sources.read(files)
    if not any(process_id in source.processes for source in found.values()):
        raise DeploymentError([Problem(None, process_id, None, f"no .bpmn file defines the process {process_id}")])
    parser = spiff.Parser()
    problems = []
    for name, source in found.items():
        try:
            if source.is_dmn:
                parser.add_dmn_xml(source.root, filename=name)
            else:
                parser.add_bpmn_xml(source.root, filename=name)
        except PARSER_ERRORS as exc:
            problems.append(_problem(exc, name))
    if problems:
        raise DeploymentError(problems)
    specs = _all_specs(parser, problems)
    if problems:
        raise DeploymentError(problems)
    try:
        spec = specs[process_id]
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except PARSER_ERRORS as exc:
        raise DeploymentError([_problem(exc, None)]) from None
    problems = lint_expressions(spec, subprocess_specs, runtime)
    others = [s for pid, s in specs.items() if pid != process_id and pid not in subprocess_specs]
    for other in others:      # every other process of the files: the engine's own lint
        problems.extend(lint_expressions(other, {}, runtime))
    for linter in runtime.linters:
        problems.extend(linter(spec, subprocess_specs))
    tables = decision_tables(parser)
    called = {ts.dmnEngine.decision_table.id for process in [spec, *subprocess_specs.values(), *others]
              for ts in process.task_specs.values()
              if getattr(getattr(ts, "dmnEngine", None), "decision_table", None) is not None}
    for decision_id, table in tables.items():
        if table.id not in called:     # the called ones were linted on their task
            problems.extend(lint_table(SimpleNamespace(bpmn_id=decision_id), table))
    for linter in runtime.decision_linters:
        problems.extend(linter(spec, tables))
    for linter in runtime.link_linters:
        problems.extend(linter(spec, tables, frozenset(deployed) | {process_id}))
    if problems:
        raise DeploymentError(problems)
    return spec, subprocess_specs


def _all_specs(parser, problems):
    """{process id: spec} of every executable process the parser holds (embedded subprocesses
    included); a process that does not build, or is not executable, adds its problem."""
    specs = {}
    # get_spec adds the parsers of embedded subprocesses as it meets them: go round until none is new
    while pending := [pid for pid in parser.process_parsers if pid not in specs]:
        for pid in pending:
            process_parser = parser.process_parsers[pid]
            specs[pid] = None
            if not process_parser.process_executable:
                problems.append(Problem(process_parser.filename, pid, process_parser.node.sourceline,
                                        f'process {pid} is not executable (isExecutable="true"): only executable '
                                        "processes can be deployed"))
                continue
            try:
                specs[pid] = parser.get_spec(pid)
            except PARSER_ERRORS as exc:
                problems.append(_problem(exc, process_parser.filename))
    return specs


def decision_tables(parser):
    """{decision id: DecisionTable} of every decision in the parsed DMN files, called by a task or not
    (the domain may evaluate some itself); raises DeploymentError for a decision that does not parse."""
    found = {}
    for decision_id, dmn_parser in parser.dmn_parsers.items():
        try:
            dmn_parser.parse()
        except PARSER_ERRORS as exc:
            raise DeploymentError([Problem(dmn_parser.filename, decision_id, None, f"decision table: {exc}")]) from None
        found[decision_id] = dmn_parser.decision.decisionTables[0]
    return found


def _problem(exc, filename):
    return Problem(getattr(exc, "file_name", None) or filename, getattr(exc, "id", None),
                   getattr(exc, "line_number", None) or None, str(getattr(exc, "msg", None) or exc))


def all_task_specs(spec, subprocess_specs):
    for process in [spec, *subprocess_specs.values()]:
        yield from process.task_specs.values()


def lint_expressions(spec, subprocess_specs, runtime):
    """Every expression and script compiles in the sandbox; every service operator is registered."""
    problems = []

    def check(task_spec, source, mode, what):
        try:
            compile_checked(source, mode)
        except (SyntaxError, SandboxViolation) as exc:
            problems.append(Problem(None, task_spec.bpmn_id, None, f"{what}: {exc}"))

    for ts in all_task_specs(spec, subprocess_specs):
        if getattr(ts, "bpmn_id", None) is None:
            continue
        script = getattr(ts, "script", None)
        if script:
            check(ts, script, "exec", "script")
        definition = getattr(ts, "event_definition", None)
        expression = getattr(definition, "expression", None)
        if expression is not None and type(definition).__name__.startswith("Clock"):
            check(ts, expression, "eval", "timer expression")
            if ISO_LITERAL.match(expression.strip()):
                # `P2D` unquoted is a variable name: the timer would fail when armed, never fire.
                problems.append(Problem(None, ts.bpmn_id, None, f"timer expression {expression.strip()} is read "
                                        f"as a variable name; write a string: \"{expression.strip()}\""))
        for condition, _target in getattr(ts, "cond_task_specs", None) or []:
            if condition is not None and getattr(condition, "args", None):
                check(ts, condition.args[0], "eval", "condition")
        table = getattr(getattr(ts, "dmnEngine", None), "decision_table", None)
        if table is not None:
            problems.extend(lint_table(ts, table))
        if hasattr(ts, "operation_name"):
            if ts.operation_name not in runtime.services:
                problems.append(Problem(None, ts.bpmn_id, None,
                                        f"service task calls {ts.operation_name!r}, which is not a registered handler"))
            for name, param in ts.operation_params.items():
                check(ts, param["value"], "eval", f"parameter {name!r}")
    return problems


def lint_table(task_spec, table):
    """Every cell of a decision table compiles in the sandbox (a match cell may start with an
    operator, as in `> 3`, which the DMN engine completes with the input)."""
    problems = []

    def check(source, what, allow_operator=False):
        if not source or not source.strip():
            return
        # `?` stands for the input in a match cell (`80 <= ? < 90`), as the DMN engine reads it
        source = QUESTION_MARK.sub("dmninputexpr", source) if allow_operator else source
        try:
            compile_checked(source, "eval")
        except SyntaxError:
            if not allow_operator:
                problems.append(Problem(None, task_spec.bpmn_id, None, f"{what}: not a valid expression: {source}"))
                return
            try:
                compile_checked(f"v {source}", "eval")
            except (SyntaxError, SandboxViolation) as exc:
                problems.append(Problem(None, task_spec.bpmn_id, None, f"{what}: {exc}"))
        except SandboxViolation as exc:
            problems.append(Problem(None, task_spec.bpmn_id, None, f"{what}: {exc}"))

    for column in table.inputs:
        check(column.expression, f"table {table.id} input {column.label or column.id}")
    for rule in table.rules:
        where = f"table {table.id} rule {rule.row_number or rule.id}"
        for entry in rule.inputEntries:
            for lhs in entry.lhs:
                check(lhs, where, allow_operator=True)
        for entry in rule.outputEntries:
            check(entry.text, where)
    return problems


def deployed_processes(session):
    """The ids of the processes that have a current deployment (new instances can start on them)."""
    return set(session.scalars(select(CurrentDeployment.process_id)))


def deploy(session, runtime, *, files: dict[str, bytes], process_id: str, actor: str | None, note: str = "",
           also=()):
    """Validate and store a deployment; the same content deploys once (the existing one is returned).
    `also`: ids of processes deployed in the same unit of work (they count as deployed)."""
    digest = content_hash(files, process_id)
    existing = session.scalar(select(Deployment).where(Deployment.hash == digest))
    if existing is not None:
        return existing
    spec, subprocess_specs = parse(files, process_id, runtime, deployed=deployed_processes(session) | set(also))
    now = runtime.clock.now()
    deployment = Deployment(hash=digest, process_id=process_id,
                            files={name: data.decode("utf-8") for name, data in files.items()},
                            spec=json.dumps(spiff.spec_to_dict(spec, subprocess_specs)),
                            created_at=now, created_by=actor, note=note)
    session.add(deployment)
    session.flush()
    runtime.remember_specs(deployment.id, (spec, subprocess_specs))
    events.append(session, stream=events.SYSTEM, kind="deployed", at=now, actor=actor, deployment_id=deployment.id,
                  data={"hash": digest, "process_id": process_id, "files": sorted(files), "note": note})
    _set_current(session, deployment, at=now, actor=actor)
    return deployment


def _set_current(session, deployment, *, at, actor):
    row = session.get(CurrentDeployment, deployment.process_id)
    if row is None:
        session.add(CurrentDeployment(process_id=deployment.process_id, deployment_id=deployment.id, since=at,
                                      by=actor))
    else:
        row.deployment_id, row.since, row.by = deployment.id, at, actor
    session.flush()


def make_current(session, runtime, deployment: Deployment, *, actor, note=""):
    """Make an earlier (or any) deployment the one new instances of its process start on, recorded
    as a `made_current` event on the system stream (who, which version, from which). Returns the
    deployment that was current before (the same one when nothing changed: then no event)."""
    before = current(session, deployment.process_id)
    if before is not None and before.id == deployment.id:
        return before
    now = runtime.clock.now()
    _set_current(session, deployment, at=now, actor=actor)
    events.append(session, stream=events.SYSTEM, kind="made_current", at=now, actor=actor,
                  deployment_id=deployment.id,
                  data={"process_id": deployment.process_id, "version": deployment.id,
                        "from": before.id if before is not None else None, "note": note})
    return before


def current(session, process_id):
    """The deployment new instances of `process_id` start on (None when it was never deployed)."""
    row = session.get(CurrentDeployment, process_id)
    return session.get(Deployment, row.deployment_id) if row is not None else None


def currents(session, runtime):
    """{process id: the deployment its new instances start on}, for every deployed process, in one
    query; each the runtime's process-wide copy of that (immutable) row, detached: for a hot path
    that only starts instances on them (a report: reading the rows' files and specs each time was
    most of finding them)."""
    rows = direct.rows(session, _CURRENTS)
    return {process_id: runtime.deployment(session, deployment_id) for process_id, deployment_id in rows}


_CURRENTS = select(CurrentDeployment.process_id, CurrentDeployment.deployment_id)


def latest(session, process_id):
    """The newest deployment of `process_id` (not necessarily the current one: see `current`)."""
    return session.scalar(select(Deployment).where(Deployment.process_id == process_id)
                          .order_by(Deployment.id.desc()).limit(1))


def get(session, deployment_id):
    return session.get(Deployment, deployment_id)


def deploy_directory(session, runtime, path, *, actor):
    """Deploy every executable process of the .bpmn files in a folder, each with the files it uses
    (`sources.files_of`: its .bpmn files, the .dmn files of the decisions it calls and of those the
    domain reads beside it, `runtime.read_decisions`); the processes of the folder count as deployed
    for each other (one unit of work). DeploymentError when a file is bad (nothing deployed)."""
    files = {p.name: p.read_bytes() for p in sorted(Path(path).iterdir()) if p.suffix in (".bpmn", ".dmn")}
    found = sources.read(files)
    executable = {pid: name for name, source in found.items() for pid, element in source.processes.items()
                  if element.get("isExecutable") == "true"}
    result = []
    for process_id, name in executable.items():
        wanted = sources.files_of(found, process_id, runtime.read_decisions.get(process_id, ()))
        result.append(deploy(session, runtime, files={n: files[n] for n in sorted(wanted)}, process_id=process_id,
                             actor=actor, note=f"shipped {name}", also=set(executable)))
    return result


DMN_NS = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}


def _rules(files):
    """decision id -> rule id -> (input entries, output entries), from the DMN files as deployed."""
    tables = {}
    for name, text in files.items():
        if not name.endswith(".dmn"):
            continue
        root = spiff.parse_xml(text.encode(), name)
        ns = {"dmn": root.nsmap.get(None, DMN_NS["dmn"])}
        for decision in root.iter(f"{{{ns['dmn']}}}decision"):
            rules = {}
            for rule in decision.iter(f"{{{ns['dmn']}}}rule"):
                cells = lambda tag: tuple((e.findtext("dmn:text", "", ns) or "").strip()
                                          for e in rule.findall(f"dmn:{tag}", ns))
                rules[rule.get("id")] = (cells("inputEntry"), cells("outputEntry"))
            tables[decision.get("id")] = rules
    return tables


def diff(runtime, old: Deployment, new: Deployment):
    """What changed from `old` to `new`: elements added, removed, changed (by attribute) in each
    process, and rows added, removed, changed in each decision table."""
    registry = spiff.SERIALIZER.registry
    (old_spec, old_subs), (new_spec, new_subs) = runtime.specs(old), runtime.specs(new)
    processes = {}
    for name, before, after in [(old_spec.name, old_spec, new_spec if new_spec.name == old_spec.name else None),
                                *[(n, s, new_subs.get(n)) for n, s in old_subs.items()]]:
        if after is None:
            processes[name] = {"removed_process": True}
            continue
        found = SpecDiff(registry, before, after)
        processes[name] = {
            "added": sorted(s.bpmn_id for s in found.added if s.bpmn_id),
            "removed": sorted(s.bpmn_id for s in found.removed if s.bpmn_id),
            "changed": {s.bpmn_id: sorted(attrs) for s, attrs in found.changed.items() if s.bpmn_id},
        }
    old_rules, new_rules = _rules(old.files), _rules(new.files)
    tables = {}
    for decision in sorted(set(old_rules) | set(new_rules)):
        a, b = old_rules.get(decision, {}), new_rules.get(decision, {})
        tables[decision] = {
            "added": {r: b[r] for r in b if r not in a},
            "removed": {r: a[r] for r in a if r not in b},
            "changed": {r: {"before": a[r], "after": b[r]} for r in a if r in b and a[r] != b[r]},
        }
    return {"from": old.id, "to": new.id, "processes": processes, "tables": tables}


def all_versions(session):
    return list(session.scalars(select(Deployment).order_by(Deployment.id)))
