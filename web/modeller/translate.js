/* Simplified Chinese for everything bpmn-js, its properties panel and dmn-js (DRD, decision
   table, literal expression) say through their `translate` service: palette, context pad, replace
   menu, the panel's groups, fields, hints and element-type headers, the table's head, hit policy,
   context menus and editors. The words are in zh-CN.json (keyed by the libraries' English
   templates, `{name}` placeholders kept); a template missing there is shown in English and noted in
   window.citygridUntranslated, so that a browser test finds what a library upgrade added. */
import WORDS from './zh-CN.json';

const untranslated = new Set();
if (typeof window !== 'undefined') window.citygridUntranslated = untranslated;

export function translate(template, replacements) {
  replacements = replacements || {};
  let text = WORDS[template];
  if (text === undefined) {
    untranslated.add(template);
    text = template;
  }
  return text.replace(/{([^}]+)}/g, (_, key) => (key in replacements ? replacements[key] : `{${key}}`));
}

/* dmn-js's decision table writes two titles without its translate service (`Move Input`,
   `Move Output` on the columns' drag handles): they are translated where they appear. */
const UNTRANSLATED_TITLES = ['Move Input', 'Move Output'];

export function translateTitles(root) {
  const fix = () => root.querySelectorAll(UNTRANSLATED_TITLES.map((t) => `[title="${t}"]`).join(','))
    .forEach((node) => { node.title = translate(node.title); });
  fix();
  new MutationObserver(fix).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['title'] });
}

export default { translate: ['value', translate] };
