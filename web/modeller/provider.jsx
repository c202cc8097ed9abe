/* The properties our engine reads, in the generic bpmn-js properties panel (no Spiff-specific
   provider is published on npm): a user task's form, role, unit and status
   (spiffworkflow:properties), a service task's handler and parameters
   (spiffworkflow:serviceTaskOperator), a business rule task's decision table
   (spiffworkflow:calledDecisionId), script tasks' scripts, timer expressions and the conditions
   of gateway branches. Every change goes through the command stack (undo works). */
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import { useService } from 'bpmn-js-properties-panel';
import {
  ListGroup, SelectEntry, TextAreaEntry, TextFieldEntry,
  isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';

const LOW_PRIORITY = 500;

// --- moddle helpers -------------------------------------------------------------------------

function update(element, moddleElement, properties) {
  return { cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } };
}

function run(commandStack, commands) {
  if (commands.length) commandStack.execute('properties-panel.multi-command-executor', commands);
}

function extensions(bo, type) {
  const ext = bo.get('extensionElements');
  return ext ? ext.get('values').filter((v) => v.$type === type) : [];
}

function create(bpmnFactory, type, attrs, parent) {
  const element = bpmnFactory.create(type, attrs);
  element.$parent = parent;
  return element;
}

/* The extension element of `type` on the element, created (by queued commands) when missing. */
function ensureExtension(element, type, attrs, bpmnFactory, commands) {
  const bo = getBusinessObject(element);
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = create(bpmnFactory, 'bpmn:ExtensionElements', { values: [] }, bo);
    commands.push(update(element, bo, { extensionElements: ext }));
  }
  let found = ext.get('values').find((v) => v.$type === type);
  if (!found) {
    found = create(bpmnFactory, type, attrs, ext);
    commands.push(update(element, ext, { values: [...ext.get('values'), found] }));
  }
  return found;
}

function getProperty(element, name) {
  const props = extensions(getBusinessObject(element), 'spiffworkflow:properties')[0];
  const found = props && props.get('properties').find((p) => p.name === name);
  return found ? found.value || '' : '';
}

function setProperty(element, name, value, bpmnFactory, commandStack) {
  const commands = [];
  const props = ensureExtension(element, 'spiffworkflow:properties', { properties: [] }, bpmnFactory, commands);
  const found = props.get('properties').find((p) => p.name === name);
  if (found) {
    commands.push(update(element, found, { value: value || '' }));
  } else {
    const prop = create(bpmnFactory, 'spiffworkflow:property', { name, value: value || '' }, props);
    commands.push(update(element, props, { properties: [...props.get('properties'), prop] }));
  }
  run(commandStack, commands);
}

function expression(bpmnFactory, body, parent) {
  return create(bpmnFactory, 'bpmn:FormalExpression', { body }, parent);
}

// --- user tasks -----------------------------------------------------------------------------

const USER_TASK_FIELDS = [
  ['role', '办理角色（表达式）', '字符串须加引号，如 "intake"；或 role_of(holder) 按承办单位的层级取角色'],
  ['unit', '办理单位（表达式）',
    '如 center（指挥中心）、holder（当前承办单位）；写成 grid or community 表示“有网格取网格，否则取社区”']
];

function PropertyText(props) {
  const { element, id, name, label, description } = props;
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  return <TextFieldEntry id={id} element={element} label={label} description={description} debounce={debounce}
    getValue={() => getProperty(element, name)}
    setValue={(value) => setProperty(element, name, value, bpmnFactory, commandStack)} />;
}

function PropertySelect(props) {
  const { element, id, name, label, description, choices } = props;
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const getOptions = () => {
    const current = getProperty(element, name);
    const options = [{ value: '', label: '（请选择）' }, ...choices.map(([value, text]) => ({ value, label: `${text}（${value}）` }))];
    if (current && !choices.some(([value]) => value === current)) {
      options.push({ value: current, label: `${current}（未知，无法部署）` });
    }
    return options;
  };
  return <SelectEntry id={id} element={element} label={label} description={description} getOptions={getOptions}
    getValue={() => getProperty(element, name)}
    setValue={(value) => setProperty(element, name, value, bpmnFactory, commandStack)} />;
}

function userTaskGroup(element, config) {
  return {
    id: 'citygrid-user-task',
    label: '办理设置（表单、角色、单位、状态）',
    entries: [
      { id: 'citygrid-form', element, component: PropertySelect, isEdited: isSelectEntryEdited, name: 'form',
        label: '表单', description: '办理时填写的表单（服务端以同名的表单校验）', choices: config.forms },
      ...USER_TASK_FIELDS.map(([name, label, description]) => ({
        id: `citygrid-${name}`, element, component: PropertyText, isEdited: isTextFieldEntryEdited, name, label,
        description })),
      { id: 'citygrid-status', element, component: PropertySelect, isEdited: isSelectEntryEdited, name: 'status',
        label: '案件状态', description: '该步骤待办时案件显示的状态', choices: config.statuses }
    ]
  };
}

// --- service tasks --------------------------------------------------------------------------

function getOperator(element) {
  return extensions(getBusinessObject(element), 'spiffworkflow:serviceTaskOperator')[0];
}

function OperatorSelect({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const config = useService('config.citygrid');
  const getValue = () => (getOperator(element) || {}).id || '';
  const getOptions = () => {
    const current = getValue();
    const options = [{ value: '', label: '（请选择）' }, ...config.services.map((s) => ({ value: s, label: s }))];
    if (current && !config.services.includes(current)) options.push({ value: current, label: `${current}（未注册，无法部署）` });
    return options;
  };
  const setValue = (value) => {
    const commands = [];
    const operator = ensureExtension(element, 'spiffworkflow:serviceTaskOperator', { id: value }, bpmnFactory, commands);
    commands.push(update(element, operator, { id: value }));
    run(commandStack, commands);
  };
  return <SelectEntry id={id} element={element} label="服务处理器" description="系统中注册的处理器名称"
    getOptions={getOptions} getValue={getValue} setValue={setValue} />;
}

function ResultVariable({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const setValue = (value) => {
    const commands = [];
    const operator = ensureExtension(element, 'spiffworkflow:serviceTaskOperator', { id: '' }, bpmnFactory, commands);
    commands.push(update(element, operator, { resultVariable: value || undefined }));
    run(commandStack, commands);
  };
  return <TextFieldEntry id={id} element={element} label="结果变量" debounce={debounce}
    getValue={() => (getOperator(element) || {}).resultVariable || ''} setValue={setValue} />;
}

function ParameterField({ element, id, parameter, field, label, description }) {
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  return <TextFieldEntry id={id} element={element} label={label} description={description} debounce={debounce}
    getValue={() => parameter.get(field) || ''}
    setValue={(value) => run(commandStack, [update(element, parameter, { [field]: value || '' })])} />;
}

function ParameterType({ element, id, parameter }) {
  const commandStack = useService('commandStack');
  const types = ['str', 'int', 'float', 'bool', 'any'];
  return <SelectEntry id={id} element={element} label="类型"
    getOptions={() => types.map((t) => ({ value: t, label: t }))}
    getValue={() => parameter.get('type') || 'str'}
    setValue={(value) => run(commandStack, [update(element, parameter, { type: value })])} />;
}

function serviceTaskGroups(element, injector) {
  const bpmnFactory = injector.get('bpmnFactory');
  const commandStack = injector.get('commandStack');
  const operator = getOperator(element);
  const list = operator && operator.get('parameterList');
  const parameters = list ? list.get('parameters') : [];
  const items = parameters.map((parameter, index) => {
    const key = `citygrid-param-${index}`;
    return {
      id: key,
      label: parameter.get('id') || '（未命名参数）',
      entries: [
        { id: `${key}-id`, element, parameter, field: 'id', label: '参数名', component: ParameterField },
        { id: `${key}-type`, element, parameter, component: ParameterType },
        { id: `${key}-value`, element, parameter, field: 'value', label: '取值（表达式）',
          description: '字符串须加引号，如 "warning"', component: ParameterField }
      ],
      autoFocusEntry: `${key}-id`,
      remove: () => run(commandStack, [update(element, list, { parameters: parameters.filter((p) => p !== parameter) })])
    };
  });
  const add = (event) => {
    event.stopPropagation();
    const commands = [];
    const op = ensureExtension(element, 'spiffworkflow:serviceTaskOperator', { id: '' }, bpmnFactory, commands);
    let params = op.get('parameterList');
    if (!params) {
      params = create(bpmnFactory, 'spiffworkflow:parameters', { parameters: [] }, op);
      commands.push(update(element, op, { parameterList: params }));
    }
    const parameter = create(bpmnFactory, 'spiffworkflow:parameter',
      { id: `param${params.get('parameters').length + 1}`, type: 'str', value: '""' }, params);
    commands.push(update(element, params, { parameters: [...params.get('parameters'), parameter] }));
    run(commandStack, commands);
  };
  return [
    { id: 'citygrid-service', label: '服务处理器',
      entries: [
        { id: 'citygrid-operator', element, component: OperatorSelect, isEdited: isSelectEntryEdited },
        { id: 'citygrid-result', element, component: ResultVariable, isEdited: isTextFieldEntryEdited }
      ] },
    { id: 'citygrid-parameters', label: '服务参数', component: ListGroup, items, add }
  ];
}

// --- business rule tasks --------------------------------------------------------------------

function DecisionSelect({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const config = useService('config.citygrid');
  const getValue = () => (extensions(getBusinessObject(element), 'spiffworkflow:calledDecisionId')[0] || {}).value || '';
  const getOptions = () => {
    const known = config.decisions || [];
    const options = [{ value: '', label: '（请选择）' }, ...known.map(([value, text]) => ({ value, label: `${text}（${value}）` }))];
    const current = getValue();
    if (current && !known.some(([value]) => value === current)) options.push({ value: current, label: `${current}（未找到该决策表）` });
    return options;
  };
  const setValue = (value) => {
    const commands = [];
    const called = ensureExtension(element, 'spiffworkflow:calledDecisionId', {}, bpmnFactory, commands);
    commands.push(update(element, called, { value }));
    run(commandStack, commands);
  };
  return <SelectEntry id={id} element={element} label="决策表" description="该任务查的 DMN 决策表"
    getOptions={getOptions} getValue={getValue} setValue={setValue} />;
}

// --- scripts, timers, conditions ------------------------------------------------------------

function ScriptEntry({ element, id }) {
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return <TextAreaEntry id={id} element={element} label="脚本（受限的 Python）" rows={5} monospace debounce={debounce}
    description="只能使用系统注册的函数（如 now()、add_working_days()）；不能 import，不能访问以下划线开头的名称"
    getValue={() => bo.get('script') || ''}
    setValue={(value) => run(commandStack, [update(element, bo, { script: value || '', scriptFormat: bo.get('scriptFormat') || 'python' })])} />;
}

const TIMER_TYPES = [['timeDate', '到期时刻（timeDate）'], ['timeDuration', '时长（timeDuration）'], ['timeCycle', '循环（timeCycle）']];

function timerOf(element) {
  const bo = getBusinessObject(element);
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
}

function timerType(definition) {
  return (TIMER_TYPES.find(([type]) => definition.get(type)) || [undefined])[0];
}

function TimerTypeEntry({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const definition = timerOf(element);
  const setValue = (type) => {
    const current = timerType(definition);
    const body = current ? definition.get(current).get('body') : '';
    const props = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
    props[type] = expression(bpmnFactory, body, definition);
    run(commandStack, [update(element, definition, props)]);
  };
  return <SelectEntry id={id} element={element} label="计时方式"
    getOptions={() => [{ value: '', label: '（请选择）' }, ...TIMER_TYPES.map(([value, label]) => ({ value, label }))]}
    getValue={() => timerType(definition) || ''} setValue={setValue} />;
}

function TimerExpressionEntry({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const definition = timerOf(element);
  const setValue = (value) => {
    const type = timerType(definition) || 'timeDuration';
    const current = definition.get(type);
    if (current) run(commandStack, [update(element, current, { body: value || '' })]);
    else run(commandStack, [update(element, definition, { [type]: expression(bpmnFactory, value || '', definition) })]);
  };
  return <TextFieldEntry id={id} element={element} label="计时器表达式" debounce={debounce}
    description={'一个表达式，其值为 ISO 8601 文本：变量如 due_at；文字须加引号，如 "P2D"（按工作日计）；循环如 "R/" + add_working_days(due_at, 1) + "/P1D"'}
    getValue={() => { const type = timerType(definition); return type ? definition.get(type).get('body') || '' : ''; }}
    setValue={setValue} />;
}

function ConditionEntry({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  const setValue = (value) => {
    const current = bo.get('conditionExpression');
    if (!value) run(commandStack, [update(element, bo, { conditionExpression: undefined })]);
    else if (current) run(commandStack, [update(element, current, { body: value })]);
    else run(commandStack, [update(element, bo, { conditionExpression: expression(bpmnFactory, value, bo) })]);
  };
  return <TextAreaEntry id={id} element={element} label="条件（表达式）" rows={2} monospace debounce={debounce}
    description={'如 action == "assign"；默认分支不需要条件'}
    getValue={() => (bo.get('conditionExpression') && bo.get('conditionExpression').get('body')) || ''}
    setValue={setValue} />;
}

function isBranch(element) {
  const bo = getBusinessObject(element);
  return is(element, 'bpmn:SequenceFlow') && bo.sourceRef &&
    (is(bo.sourceRef, 'bpmn:ExclusiveGateway') || is(bo.sourceRef, 'bpmn:InclusiveGateway'));
}

// --- the provider ---------------------------------------------------------------------------

function CitygridPropertiesProvider(propertiesPanel, injector, config) {
  this.getGroups = function (element) {
    return function (groups) {
      const ours = [];
      if (is(element, 'bpmn:UserTask')) ours.push(userTaskGroup(element, config));
      if (is(element, 'bpmn:ServiceTask')) ours.push(...serviceTaskGroups(element, injector));
      if (is(element, 'bpmn:BusinessRuleTask')) {
        ours.push({ id: 'citygrid-decision', label: '决策表',
          entries: [{ id: 'citygrid-called-decision', element, component: DecisionSelect, isEdited: isSelectEntryEdited }] });
      }
      if (is(element, 'bpmn:ScriptTask')) {
        ours.push({ id: 'citygrid-script', label: '脚本',
          entries: [{ id: 'citygrid-script-body', element, component: ScriptEntry, isEdited: isTextAreaEntryEdited }] });
      }
      if (timerOf(element)) {
        ours.push({ id: 'citygrid-timer', label: '计时器',
          entries: [
            { id: 'citygrid-timer-type', element, component: TimerTypeEntry, isEdited: isSelectEntryEdited },
            { id: 'citygrid-timer-expression', element, component: TimerExpressionEntry, isEdited: isTextFieldEntryEdited }
          ] });
      }
      if (isBranch(element)) {
        ours.push({ id: 'citygrid-condition', label: '分支条件',
          entries: [{ id: 'citygrid-condition-expression', element, component: ConditionEntry, isEdited: isTextAreaEntryEdited }] });
      }
      // ours replaces the generic timer group (it explains how our engine reads the expression)
      const kept = ours.some((g) => g.id === 'citygrid-timer') ? groups.filter((g) => g.id !== 'timer') : groups;
      const at = kept.findIndex((g) => g.id === 'general');
      kept.splice(at === -1 ? 0 : at + 1, 0, ...ours);
      return kept;
    };
  };
  propertiesPanel.registerProvider(LOW_PRIORITY, this);
}

CitygridPropertiesProvider.$inject = ['propertiesPanel', 'injector', 'config.citygrid'];

export default {
  __init__: ['citygridPropertiesProvider'],
  citygridPropertiesProvider: ['type', CitygridPropertiesProvider]
};

export { getProperty, timerOf };
