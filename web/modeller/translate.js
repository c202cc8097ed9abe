/* Chinese for the modeller's own words (palette, context pad, properties panel); anything not
   listed stays as bpmn-js says it. */
const WORDS = {
  'General': '常规', 'Name': '名称', 'ID': '标识（ID）', 'Documentation': '说明',
  'Element documentation': '元素说明', 'Process documentation': '流程说明', 'Executable': '可执行',
  'Process': '流程', 'Process name': '流程名称', 'Process ID': '流程标识', 'Version tag': '版本标签',
  'Participant': '参与者', 'Lane': '泳道', 'Multi-instance': '多实例', 'Message': '消息', 'Signal': '信号',
  'Error': '错误', 'Escalation': '升级', 'Timer': '计时器', 'Condition': '条件', 'Link': '链接',
  'Cancel activity': '中断活动', 'Data object': '数据对象', 'Inputs': '输入', 'Outputs': '输出',
  'Create start event': '创建开始事件', 'Create end event': '创建结束事件', 'Create task': '创建任务',
  'Create gateway': '创建网关', 'Create intermediate/boundary event': '创建中间/边界事件',
  'Create data object reference': '创建数据对象', 'Create data store reference': '创建数据存储',
  'Create expanded sub-process': '创建展开的子流程', 'Create pool/participant': '创建池/参与者',
  'Create group': '创建分组', 'Activate hand tool': '抓手工具', 'Activate lasso tool': '套索工具',
  'Activate create/remove space tool': '增删空间工具', 'Activate global connect tool': '连接工具',
  'Append end event': '追加结束事件', 'Append gateway': '追加网关', 'Append task': '追加任务',
  'Append intermediate/boundary event': '追加中间/边界事件', 'Append text annotation': '追加文字注释',
  'Add text annotation': '添加文字注释', 'Delete': '删除', 'Change element': '更改类型', 'Change type': '更改类型',
  'Connect using sequence/message flow or association': '连线', 'Connect to other element': '连线',
  'Add lane above': '在上方添加泳道', 'Add lane below': '在下方添加泳道', 'Divide into two lanes': '分为两个泳道',
  'Divide into three lanes': '分为三个泳道', 'Search in diagram': '在图中搜索',
  'User task': '人工任务', 'Service task': '服务任务', 'Script task': '脚本任务', 'Business rule task': '决策任务',
  'Exclusive gateway': '排他网关', 'Parallel gateway': '并行网关', 'Start event': '开始事件', 'End event': '结束事件',
  'Sub-process (expanded)': '子流程（展开）', 'Sequence flow': '顺序流'
};

function translate(template, replacements) {
  replacements = replacements || {};
  return (WORDS[template] || template).replace(/{([^}]+)}/g, (_, key) => replacements[key] || `{${key}}`);
}

export default { translate: ['value', translate] };
