"""The modeller speaks Chinese: bpmn-js (palette, context pad, replace menu), its properties panel
(element-type headers, groups, hints) and dmn-js (decision table head, hit policy, context menu,
the DRD) say what they say through the translate service, and none of it is left in English.
UI only, so on SQLite alone."""
import re

import pytest

from tests.e2e.conftest import DESKTOP, Web

pytestmark = pytest.mark.e2e

# What a first day on the product found in English (the panel's header is upper-cased by CSS).
ENGLISH = ["user task", "collaboration", "timer boundary event", "non interrupting", "view drd", "hit policy",
           "annotations", "first", "unique"]


def english_words(text):
    return {w for w in ENGLISH if w in text.lower()} | set(re.findall(r"\b(?:When|Then|And)\b", text))


def header(page, element_id):
    page.evaluate(f"window.citygridModeller.focus('{element_id}')")
    head = page.locator(".bio-properties-panel-header")
    page.wait_for_function("id => document.querySelector('.bio-properties-panel-header-label')"
                           " && window.citygridModeller.bpmn.get('selection').get()[0].id === id", arg=element_id)
    return head.locator(".bio-properties-panel-header-type").inner_text()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_modeller_panel_and_tables_in_chinese(live, browser):
    desk = Web(browser, live.url, "desktop", **DESKTOP)
    try:
        desk.login("owner")
        page = desk.page
        page.goto("/process/modeller")
        page.wait_for_selector("#modeller[data-ready='1']")

        assert page.locator(".bio-properties-panel-header-type").inner_text() == "协作"
        assert header(page, "accept_report") == "人工任务"
        hint = page.locator("[data-entry-id='citygrid-unit'] .bio-properties-panel-description").inner_text()
        assert "有网格取网格，否则取社区" in hint
        assert header(page, "warning_timer") == "计时器边界事件（非中断）"
        assert header(page, "handling") == "子流程（展开）"
        page.evaluate("window.citygridModeller.focus('accept_report')")
        titles = page.eval_on_selector_all(".djs-context-pad .entry", "es => es.map(e => e.title).filter(Boolean)")
        assert "追加任务" in titles and "删除" in titles and "更改元素类型" in titles
        page.click(".djs-context-pad .entry[data-action='replace']")
        page.wait_for_selector(".djs-popup")
        assert "服务任务" in page.locator(".djs-popup").inner_text()
        page.keyboard.press("Escape")

        table = page.locator('section.dmn-table[data-file="time_limit.dmn"]')
        head = table.locator("thead").inner_text()
        assert "当" in head and "则" in head and "注释" in head
        assert table.locator(".hit-policy").inner_text().replace("\n", "").startswith("命中策略：")
        assert table.locator(".view-drd-button").inner_text() == "查看决策需求图（DRD）"
        table.locator("td.input-cell").first.click(button="right")
        page.wait_for_selector(".context-menu")
        assert "在上方添加规则" in page.locator(".context-menu").inner_text()
        page.keyboard.press("Escape")

        handles = table.locator("th [title]").evaluate_all("es => es.map(e => e.title)")
        assert "移动输入列" in handles and "移动输出列" in handles, handles
        assert not [t for t in page.eval_on_selector_all("#modeller [title]", "es => es.map(e => e.title)")
                    if re.search(r"\b(?:Move|Add|Remove|Delete)\b", t)]
        text = page.locator("#modeller").inner_text()
        assert english_words(text) == set(), english_words(text)
        table.locator(".view-drd-button").click()
        page.wait_for_selector('section.dmn-table[data-file="time_limit.dmn"] .dmn-drd-container .djs-palette')
        assert table.locator(".dmn-drd-container").bounding_box()["height"] >= 300
        assert page.evaluate("[...window.citygridUntranslated]") == []
        assert desk.errors == []
    finally:
        desk.close()
