"""Which case process a new case starts: the routing table (`case_routing.dmn`, deployed with the
default process and edited by owners like its other tables) asked with the report's channel,
category and major class when the case is filed; its answer is a process id, `case_handling` when
no rule says otherwise (and when the current version has no routing table at all).

A table that names a process which is not deployed is refused when it is deployed
(`check_routing`, naming the rule), and a process once deployed always has a current version, so
the answer can always be started."""
import ast
from dataclasses import dataclass

from engine import deployments
from engine.deployments import Problem

from . import contract, decisions

# What a rule that matches any report is probed with (a channel and category no rule names).
_PROBE = {"channel": "__none__", "category": "999999", "major_class": "9999"}


@dataclass(frozen=True)
class Route:
    process_id: str
    deployment: object        # the current deployment of that process
    rule: str | None          # the id of the routing rule that matched (None: no table)
    table_version: int | None  # the version of the default process whose table answered


def question(data) -> dict:
    """What the routing table is asked of a report (`contract.ROUTING_INPUTS`)."""
    category = data.get("category") or ""
    return {"channel": data.get("channel"), "category": category, "major_class": category[:4]}


def _matched(engine, asked):
    """(process id, rule id) the first matching rule of the table answers, or (None, None)."""
    probe = decisions.probe(asked)
    rules = engine.decide(probe)
    if not rules:
        return None, None
    return rules[0].output_as_dict(probe).get(contract.ROUTING_OUTPUT), rules[0].id


def route(session, runtime, data) -> Route | None:
    """The process a report starts and its current deployment (None when the default process is not
    deployed at all): the runtime's copy of the row (`deployments.currents`)."""
    current = deployments.currents(session, runtime)
    default = current.get(contract.PROCESS_ID)
    if default is None:
        return None
    engine = decisions.table(default, contract.CASE_ROUTING)
    if engine is None:
        return Route(contract.PROCESS_ID, default, None, None)
    process_id, rule = _matched(engine, question(data))
    target = current.get(process_id) if process_id else None
    if target is None:   # no rule, or (impossible since deployment checks it) a process never deployed
        return Route(contract.PROCESS_ID, default, rule, default.id)
    return Route(process_id, target, rule, default.id)


def check_routing(spec, tables, deployed):
    """Link linter: the routing table, where the files carry one, answers every report (a last rule
    for any input) with a quoted process id, and every process it names is deployed (or is the one
    being deployed); each problem names the rule."""
    table = tables.get(contract.CASE_ROUTING)
    if table is None:
        return []
    problems = []
    outputs = [o.name for o in table.outputs]
    if contract.ROUTING_OUTPUT not in outputs:
        return [Problem(None, contract.CASE_ROUTING, None,
                        f"the routing table must output {contract.ROUTING_OUTPUT} (the process a case starts)")]
    column = outputs.index(contract.ROUTING_OUTPUT)
    for rule in table.rules:
        text = (rule.outputEntries[column].text or "").strip() if column < len(rule.outputEntries) else ""
        try:
            process_id = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            process_id = None
        where = f"routing table rule {rule.row_number or rule.id}"
        if not isinstance(process_id, str):
            problems.append(Problem(None, contract.CASE_ROUTING, None,
                                    f"{where}: the process must be a quoted process id, not {text or 'empty'}"))
        elif process_id not in deployed:
            problems.append(Problem(None, contract.CASE_ROUTING, None,
                                    f"{where} ({rule.id}) names the process {process_id}, which is not deployed"))
    if not problems:
        try:
            answered, _ = _matched(decisions.engine_of(table), _PROBE)
        except Exception as exc:   # a broken cell: report it on the table, whatever it raised
            return [Problem(None, contract.CASE_ROUTING, None, f"decision table: {exc}")]
        if answered is None:
            problems.append(Problem(None, contract.CASE_ROUTING, None,
                                    "the routing table needs a last rule for any report (every input -), "
                                    f"e.g. answering \"{contract.PROCESS_ID}\""))
    return problems
