/* The process owners' modeller: the case process in the bpmn-js Modeler with a properties panel
   (and our provider for the engine's extension properties), each DMN decision table in dmn-js;
   validate and deploy (all files, the unchanged ones as they were), every problem shown on its
   element and beside its table; export what is in the editors, import local files into them.
   Built into web/static/build/modeller.js by `npm run build` (scripts/setup). */
import BpmnModeler from 'bpmn-js/lib/Modeler';
import DmnModeler from 'dmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';

import citygridProperties from './provider.jsx';
import spiffModdle from './spiffworkflow.json';
import translateModule, { translateTitles } from './translate.js';

const DMN_VIEWS = ['drd', 'decisionTable', 'literalExpression', 'boxedExpression'];
const OPEN_GROUPS = ['general', 'citygrid-user-task', 'citygrid-service', 'citygrid-parameters', 'citygrid-decision',
  'citygrid-script', 'citygrid-timer', 'citygrid-condition'];

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([key, value]) => {
    if (value === undefined || value === null || value === false) return;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : value);
  });
  children.flat().forEach((child) => {
    if (child !== undefined && child !== null && child !== false) {
      node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    }
  });
  return node;
}

function beijing(iso) {
  return iso ? iso.replace('T', ' ').slice(0, 16) : '';
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/xml' }));
  const link = h('a', { href: url, download: name });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// The file that defines the version's process, as the server found it by parsing (main_file).
function mainBpmn(version) {
  return version.main_file || Object.keys(version.files).filter((n) => n.endsWith('.bpmn')).sort()[0];
}

class Modeller {
  constructor(root) {
    this.root = root;
    this.config = Object.assign(JSON.parse(root.dataset.config), { decisions: [] });
    this.status = document.getElementById('modeller-status');
    this.files = {};            // file name -> XML text as loaded (sent unchanged unless edited)
    this.dirty = new Set();     // files edited in an editor (exported from it when saving)
    this.bpmnName = null;
    this.tables = new Map();    // DMN file name -> { modeler, section, box }
    this.bpmn = new BpmnModeler({
      container: document.getElementById('bpmn-canvas'),
      propertiesPanel: {
        parent: document.getElementById('properties-panel'),
        layout: { groups: Object.fromEntries(OPEN_GROUPS.map((id) => [id, { open: true }])) }
      },
      additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, citygridProperties, translateModule],
      moddleExtensions: { spiffworkflow: spiffModdle },
      citygrid: this.config
    });
    this.bpmn.on('commandStack.changed', () => this.touched(this.bpmnName));
    this.buttons = {
      validate: document.getElementById('validate-button'),
      deploy: document.getElementById('deploy-button')
    };
    this.buttons.validate.addEventListener('click', () => this.save(false));
    this.buttons.deploy.addEventListener('click', () => this.save(true));
    document.getElementById('import-files').addEventListener('change', (e) => this.importLocal(e.target));
  }

  say(text, kind) {
    this.status.textContent = text;
    this.status.className = `status ${kind || 'muted'}`;
  }

  touched(name) {
    if (!name || this.loading) return;
    this.dirty.add(name);
    this.say('有未部署的修改');
  }

  async load() {
    const response = await fetch(this.root.dataset.src, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const version = await response.json();
    this.loading = true;
    try {
      this.files = { ...version.files };
      this.bpmnName = mainBpmn(version);
      await this.openBpmn(this.bpmnName, this.files[this.bpmnName]);
      for (const name of version.file_names.filter((n) => n.endsWith('.dmn'))) {
        await this.openTable(name, this.files[name]);
      }
    } finally {
      this.loading = false;
    }
    this.renderExports();
    Object.values(this.buttons).forEach((b) => { b.disabled = false; });
    this.root.dataset.ready = '1';
    this.say(`已打开版本 ${version.id}：修改流程图或决策表后，填写变更说明并部署`);
  }

  async openBpmn(name, xml) {
    const result = await this.bpmn.importXML(xml);
    (result.warnings || []).forEach((w) => console.warn(w.message));
    this.bpmn.get('canvas').zoom('fit-viewport');
    document.getElementById('bpmn-file').textContent = name;
  }

  async openTable(name, xml) {
    let table = this.tables.get(name);
    if (!table) {
      const box = h('div', { class: 'table-problems error', hidden: true, role: 'alert' });
      const container = h('div', { class: 'dmn-container' });
      const title = h('h2', {}, name);
      const section = h('section', { class: 'card dmn-table', dataset: { file: name } }, title, box, container);
      document.getElementById('dmn-editors').appendChild(section);
      // dmn-js hands `common` to every view but lets a view's own additionalModules replace
      // common's: so the translation goes to each view by name.
      const modeler = new DmnModeler({ container, ...Object.fromEntries(DMN_VIEWS.map((v) => [v, { additionalModules: [translateModule] }])) });
      table = { modeler, section, box, title };
      this.tables.set(name, table);
      translateTitles(container);
    }
    await table.modeler.importXML(xml);
    const view = table.modeler.getViews().find((v) => v.type === 'decisionTable');
    if (view) await table.modeler.open(view);
    const viewer = table.modeler.getActiveViewer();
    viewer.get('eventBus').on('elements.changed', () => this.touched(name));
    const decisions = (table.modeler.getDefinitions().get('drgElement') || []).filter((d) => d.$type === 'dmn:Decision');
    table.decisions = decisions.map((d) => d.id);
    table.section.dataset.decisions = table.decisions.join(' ');
    table.title.textContent = `${decisions.map((d) => d.name || d.id).join('、')}（${name}）`;
    this.config.decisions = [...this.tables.values()].flatMap((t) =>
      (t.modeler.getDefinitions().get('drgElement') || []).filter((d) => d.$type === 'dmn:Decision').map((d) => [d.id, d.name || d.id]));
  }

  async currentFiles() {
    const files = { ...this.files };
    if (this.dirty.has(this.bpmnName)) files[this.bpmnName] = (await this.bpmn.saveXML({ format: true })).xml;
    for (const [name, table] of this.tables) {
      if (this.dirty.has(name)) files[name] = (await table.modeler.saveXML({ format: true })).xml;
    }
    return files;
  }

  renderExports() {
    const box = document.getElementById('export-links');
    box.textContent = '';
    box.appendChild(h('span', { class: 'muted' }, '导出：'));
    Object.keys(this.files).sort().forEach((name) => {
      box.appendChild(h('button', { type: 'button', class: 'link-button', dataset: { file: name },
        onclick: async () => download(name, (await this.currentFiles())[name]) }, name));
    });
  }

  async importLocal(input) {
    const chosen = Array.from(input.files || []);
    input.value = '';
    this.loading = true;
    try {
      for (const file of chosen) {
        const name = file.name.split(/[\\/]/).pop();
        const text = await file.text();
        if (name.endsWith('.bpmn')) {
          if (this.bpmnName && this.bpmnName !== name) delete this.files[this.bpmnName];
          this.bpmnName = name;
          this.files[name] = text;
          await this.openBpmn(name, text);
        } else if (name.endsWith('.dmn')) {
          this.files[name] = text;
          await this.openTable(name, text);
        } else {
          this.say(`${name}：只能导入 .bpmn 或 .dmn 文件`, 'error');
          continue;
        }
        this.dirty.delete(name);   // sent exactly as imported unless edited further
      }
      this.say(`已导入 ${chosen.map((f) => f.name).join('、')}：尚未部署`);
    } catch (err) {
      this.say(`导入失败：${err.message}`, 'error');
    } finally {
      this.loading = false;
      this.renderExports();
    }
  }

  clearProblems() {
    const canvas = this.bpmn.get('canvas');
    this.bpmn.get('overlays').remove({ type: 'citygrid-problem' });
    (this.marked || []).forEach((id) => canvas.removeMarker(id, 'cg-error'));
    this.marked = [];
    document.getElementById('problems').hidden = true;
    document.getElementById('problem-list').textContent = '';
    this.tables.forEach((t) => { t.box.hidden = true; t.box.textContent = ''; t.section.classList.remove('has-error'); });
  }

  /* Show an element at a readable scale in the middle of the canvas (and select it: its
     properties open in the panel). */
  focus(id, select = true) {
    const registry = this.bpmn.get('elementRegistry');
    const canvas = this.bpmn.get('canvas');
    const element = registry.get(id);
    if (!element) return;
    if (canvas.findRoot && canvas.findRoot(element) !== canvas.getRootElement()) canvas.setRootElement(canvas.findRoot(element));
    const size = canvas.getSize();
    const scale = 1;
    const x = (element.x || 0) + (element.width || 0) / 2;
    const y = (element.y || 0) + (element.height || 0) / 2;
    canvas.viewbox({ x: x - size.width / 2 / scale, y: y - size.height / 2 / scale,
      width: size.width / scale, height: size.height / scale });
    if (select) this.bpmn.get('selection').select(element);
  }

  showProblems(problems) {
    this.clearProblems();
    const registry = this.bpmn.get('elementRegistry');
    const canvas = this.bpmn.get('canvas');
    const overlays = this.bpmn.get('overlays');
    const list = document.getElementById('problem-list');
    const onElement = new Map();
    problems.forEach((p) => {
      const where = [p.file, p.line ? `第 ${p.line} 行` : null,
        p.element ? `元素 ${p.element}${p.name ? `「${p.name}」` : ''}` : null].filter(Boolean).join(' · ');
      const shown = p.element && registry.get(p.element);
      const table = this.tables.get(p.table_file);
      const item = h('li', { dataset: { element: p.element || '', file: p.file || '' }, class: shown ? 'on-diagram' : '' },
        where ? h('span', { class: 'where' }, `${where}：`) : null, p.message);
      if (shown) {
        item.addEventListener('click', () => this.focus(p.element));
        item.title = '点击定位到流程图中的元素';
        if (!onElement.has(p.element)) onElement.set(p.element, []);
        onElement.get(p.element).push(p.message);
      }
      list.appendChild(item);
      if (table) {
        table.box.hidden = false;
        table.section.classList.add('has-error');
        table.box.appendChild(h('p', { dataset: { element: p.element || '' } },
          p.element ? `${p.element}${p.name ? `「${p.name}」` : ''}：` : '', p.message));
      }
    });
    onElement.forEach((messages, id) => {
      canvas.addMarker(id, 'cg-error');
      this.marked.push(id);
      overlays.add(id, 'citygrid-problem', {
        position: { top: -6, left: -8 },   // the note sits above the element (translateY(-100%))
        scale: { min: 0.9 },
        html: h('div', { class: 'cg-problem-note', dataset: { element: id }, title: messages.join('\n') },
          h('strong', {}, '!'), ' ', messages[0].length > 90 ? `${messages[0].slice(0, 90)}…` : messages[0],
          messages.length > 1 ? `（另有 ${messages.length - 1} 项）` : '')
      });
    });
    document.getElementById('problems').hidden = false;
    if (onElement.size) this.focus(onElement.keys().next().value, false);
  }

  async post(url, body) {
    const response = await fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': this.root.dataset.csrf },
      body: JSON.stringify(body)
    });
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    return { status: response.status, data };
  }

  async save(deploy) {
    const note = document.getElementById('deploy-note');
    if (deploy && !note.value.trim()) {
      note.focus();
      this.say('请先填写变更说明', 'error');
      return;
    }
    Object.values(this.buttons).forEach((b) => { b.disabled = true; });
    document.getElementById('deployed').hidden = true;
    this.say(deploy ? '正在校验并部署…' : '正在校验…');
    try {
      const files = await this.currentFiles();
      const { status, data } = await this.post(deploy ? this.root.dataset.deploy : this.root.dataset.validate,
        { files, note: note.value, process: this.root.dataset.process });
      if (data && data.problems && data.problems.length) {
        this.showProblems(data.problems);
        this.say(`校验未通过（${data.problems.length} 个问题），未部署`, 'error');
        return;
      }
      if (!data || !data.ok) {
        this.say(`操作失败（HTTP ${status}）`, 'error');
        return;
      }
      this.clearProblems();
      if (!deploy) {
        this.say('校验通过：可以部署', 'ok');
        return;
      }
      this.files = files;
      this.dirty.clear();
      this.showDeployed(data.version, data.created, data.message);
    } catch (err) {
      this.say(`操作失败：${err.message}`, 'error');
    } finally {
      Object.values(this.buttons).forEach((b) => { b.disabled = false; });
    }
  }

  showDeployed(version, created, message) {
    const card = document.getElementById('deployed');
    card.textContent = '';
    card.dataset.version = version.id;
    card.appendChild(h('h2', {}, created ? `已部署为版本 ${version.id}` : `内容与版本 ${version.id} 完全相同，未产生新版本`));
    if (!version.current) {
      card.appendChild(h('p', { class: 'error' }, message || `版本 ${version.id} 不是当前版本：新案件仍按当前版本办理。`));
    }
    card.appendChild(h('dl', { class: 'kv' },
      h('dt', {}, '版本'), h('dd', { id: 'deployed-version' }, String(version.id)),
      h('dt', {}, '哈希'), h('dd', {}, h('code', {}, version.hash)),
      h('dt', {}, '部署人'), h('dd', {}, version.created_by || ''),
      h('dt', {}, '部署时间'), h('dd', {}, beijing(version.created_at)),
      h('dt', {}, '变更说明'), h('dd', {}, version.note || '')));
    card.appendChild(h('p', { class: 'muted' }, '新上报的案件按新版本办理；在办案件仍按原版本办理，可在“案件迁移”中迁移。 ',
      h('a', { href: this.root.dataset.versions }, '查看所有版本')));
    card.hidden = false;
    const select = document.getElementById('open-version');
    if (select && created) {
      Array.from(select.options).forEach((o) => { o.textContent = o.textContent.replace('（最新）', ''); });
      select.insertBefore(h('option', { value: version.id, selected: true },
        `版本 ${version.id}（最新） · ${beijing(version.created_at)}`), select.firstChild);
      select.value = String(version.id);
    }
    document.getElementById('opened-version').textContent =
      `打开的是版本 ${version.id}（${version.hash.slice(0, 12)}）· ${version.created_by || ''} · ${beijing(version.created_at)}`;
    this.say(created ? `已部署为版本 ${version.id}` : `未产生新版本（与版本 ${version.id} 相同）`, 'ok');
  }
}

const root = document.getElementById('modeller');
if (root) {
  const modeller = new Modeller(root);
  window.citygridModeller = modeller;   // for the browser tests and the curious
  modeller.load().catch((err) => {
    root.dataset.ready = 'error';
    modeller.say(`建模器加载失败：${err.message}`, 'error');
  });
}
