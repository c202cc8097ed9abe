"""A readable diff between two versions: per process, the elements added, removed and changed
(what changed, before and after, in Chinese), per decision table the rows added, removed and
changed; and the names of a version's elements (shared with the migration's reasons)."""
from dataclasses import dataclass, field
from threading import Lock

from lxml import etree

from engine import deployments
from engine.models import Deployment

from .deploy import parse_roots


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
        for name, root in parse_roots({n: t for n, t in deployment.files.items() if n.endswith(".bpmn")}).items():
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
    for name, root in parse_roots({n: t for n, t in deployment.files.items() if n.endswith(".dmn")}).items():
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
