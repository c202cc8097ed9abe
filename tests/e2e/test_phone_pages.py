"""Pages as a first day on a phone finds them: the case diagram opens readable on the current step
(zoom, fit and back-to-step buttons, one-finger pan, the bpmn.io watermark over no element), also
on a desktop; the version list, the version diff and the audit history as cards whose every cell
keeps its content in the value column, nothing wider than the screen; the report form previews
the chosen photos and offers the categories a search leaves; the footer names the demo clock.
UI only, so on SQLite alone; one phone context, resized once for the desktop look."""
import pytest

from engine import deployments
from tests import deployment_files as files
from tests.e2e.conftest import PHONE, Web, png

pytestmark = pytest.mark.e2e

# Every piece of every card cell (text and elements, small tables inside included) lies right of
# the label column and inside the card; returns what does not.
CELLS_OUT_OF_PLACE = """() => {
  const bad = [];
  document.querySelectorAll('table.responsive > tbody > tr > td').forEach((td) => {
    const card = td.closest('tr').getBoundingClientRect();
    const label = parseFloat(getComputedStyle(td, '::before').width) || 0;
    const left = td.getBoundingClientRect().left + label;
    const walker = document.createTreeWalker(td, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.nodeType === 3 && !n.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const boxes = n.nodeType === 3 ? [...range.getClientRects()] : [n.getBoundingClientRect()];
      if (boxes.some((b) => b.width && (b.left < left - 0.5 || b.right > card.right + 0.5))) {
        bad.push(`${td.dataset.label}: ${(n.textContent || '').trim().slice(0, 30)}`);
      }
    }
  });
  return bad;
}"""

DIAGRAM = """() => {
  const el = document.getElementById('diagram');
  const canvas = el.cgViewer.get('canvas');
  const svg = el.querySelector('svg').getBoundingClientRect();
  const focus = el.querySelector(`.djs-element[data-element-id="${el.dataset.focus}"]`);
  const box = focus.querySelector('.djs-visual').getBoundingClientRect();
  const label = focus.querySelector('text tspan').getBoundingClientRect();
  const mark = el.querySelector('.bjs-powered-by').getBoundingClientRect();
  const shapes = [...el.querySelectorAll('.djs-shape .djs-visual')].map((v) => v.getBoundingClientRect())
    .filter((b) => b.width && b.bottom > svg.top && b.top < svg.bottom && b.right > svg.left && b.left < svg.right);
  return {
    zoom: canvas.zoom(), focus: el.dataset.focus, width: el.getBoundingClientRect().width,
    inside: box.left >= svg.left && box.right <= svg.right && box.top >= svg.top && box.bottom <= svg.bottom,
    label: label.height,
    mark: { visible: mark.width > 40 && mark.height > 15, below: mark.top >= svg.bottom,
            within: mark.bottom <= el.getBoundingClientRect().bottom && mark.right <= el.getBoundingClientRect().right,
            // (what of a shape lies outside the canvas is not drawn)
            covers: shapes.some((b) => Math.max(b.left, svg.left) < mark.right && Math.min(b.right, svg.right) > mark.left &&
                                       Math.max(b.top, svg.top) < mark.bottom && Math.min(b.bottom, svg.bottom) > mark.top) },
    viewbox: canvas.viewbox()
  };
}"""


def no_overflow(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert page.evaluate(CELLS_OUT_OF_PLACE) == []


def drag(page, selector, dx, dy):
    """One finger across the element (pointer events of a touch screen)."""
    page.evaluate("""([selector, dx, dy]) => {
      const target = document.querySelector(selector);
      const r = target.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
      const at = (type, px, py) => target.dispatchEvent(new PointerEvent(type, {
        pointerId: 7, pointerType: 'touch', isPrimary: true, clientX: px, clientY: py, bubbles: true, cancelable: true }));
      at('pointerdown', x, y); at('pointermove', x + dx / 2, y + dy / 2); at('pointermove', x + dx, y + dy);
      at('pointerup', x + dx, y + dy);
    }""", [selector, dx, dy])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_phone_pages(live, browser):
    city = live
    city.set_clock("2026-03-02 09:00")
    case_no = city.report()
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="B")     # now at 派遣
    city.work(lambda s: deployments.deploy(s, city.runtime, files=files.b_limit(3), process_id="case_handling",
                                           actor="owner", note="B 类时限改为 3 个工作日"))
    phone = Web(browser, city.url, "phone", **PHONE)
    page = phone.page
    try:
        # The case diagram: readable, on the current step, the width of the phone.
        phone.login("intake")
        page.goto(f"/cases/{case_no}")
        page.wait_for_selector("#diagram[data-ready='1']")
        seen = page.evaluate(DIAGRAM)
        assert seen["focus"] == "dispatch" and seen["inside"]
        assert seen["label"] >= 10 and seen["zoom"] >= 0.85
        assert seen["width"] == 390
        assert seen["mark"] == {"visible": True, "below": True, "within": True, "covers": False}
        assert "演示时钟：现在是 2026-03-02 09:00" in page.locator("#demo-clock").inner_text()
        no_overflow(page)
        controls = page.locator("#diagram .diagram-controls")
        assert [b.get_attribute("title") for b in controls.locator("button").all()] == [
            "放大", "缩小", "显示整个流程图", "回到当前环节"]
        readable = seen["zoom"]
        controls.locator("[data-action=zoom-in]").click()
        assert page.evaluate(DIAGRAM)["zoom"] == pytest.approx(readable * 1.25, rel=0.01)
        controls.locator("[data-action=zoom-out]").click()
        controls.locator("[data-action=zoom-out]").click()
        assert page.evaluate(DIAGRAM)["zoom"] == pytest.approx(readable / 1.25, rel=0.01)
        controls.locator("[data-action=fit]").click()
        assert page.evaluate(DIAGRAM)["zoom"] < 0.5                    # the whole process: too small to read
        controls.locator("[data-action=focus]").click()
        back = page.evaluate(DIAGRAM)
        assert back["zoom"] == pytest.approx(readable) and back["inside"]
        drag(page, "#diagram .djs-container", -120, -40)
        moved = page.evaluate(DIAGRAM)["viewbox"]
        assert moved["x"] - back["viewbox"]["x"] == pytest.approx(120 / readable, rel=0.05)
        assert moved["y"] - back["viewbox"]["y"] == pytest.approx(40 / readable, rel=0.05)

        # The version list, the diff and the audit history as cards.
        phone.login("owner")
        page.goto("/process/versions")
        row = page.locator('#versions tr[data-version="3"]')      # 2: the emergency process
        assert row.locator(".badge").inner_text() == "当前"
        no_overflow(page)
        phone.shot("versions-phone")
        page.goto("/process/versions/diff?from=1&to=3")
        assert page.locator(".diff-table td.cell-changed").inner_text() == "3"
        no_overflow(page)
        phone.login("auditor")
        page.goto(f"/audit/cases/{case_no}")
        page.wait_for_selector("#audit-diagram[data-ready='1']")
        assert page.locator("#history td[data-label='步骤'] code").first.is_visible()
        no_overflow(page)
        phone.shot("audit-case-phone")

        # The report form: the photos before sending, and the categories a search leaves.
        phone.login("grid-35020301100301")
        page.goto("/report")
        search = page.locator("input.select-search[data-for=f-category]")
        search.fill("垃圾")
        matches = page.locator("#f-category-matches button.match")
        assert matches.count() >= 2 and page.locator("#f-category").input_value() == ""
        texts = matches.all_inner_texts()
        assert all("垃圾" in t for t in texts)
        matches.nth(1).click()
        assert page.locator("#f-category").input_value() == texts[1].split()[0]
        assert page.locator("#f-category-matches").is_hidden()
        search.fill("200115")                                           # by its code: the one match is chosen
        assert page.locator("#f-category").input_value() == "200115"
        page.set_input_files("#f-photos", files=[
            {"name": "before-1.png", "mimeType": "image/png", "buffer": png(rgb=(200, 40, 40))},
            {"name": "before-2.png", "mimeType": "image/png", "buffer": png(rgb=(40, 40, 200))}])
        preview = page.locator("#photo-preview")
        assert preview.is_visible() and preview.get_attribute("data-count") == "2"
        page.wait_for_function("[...document.querySelectorAll('#photo-preview img')].every(i => i.complete && i.naturalWidth === 64)")
        assert "before-2.png" in preview.inner_text()
        no_overflow(page)
        phone.shot("report-form-preview-phone")

        # The desktop: the same diagram, readable too (not fitted into the card).
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"/cases/{case_no}")
        page.wait_for_selector("#diagram[data-ready='1']")
        seen = page.evaluate(DIAGRAM)
        assert seen["focus"] == "dispatch" and seen["inside"] and seen["label"] >= 10
        assert seen["mark"]["covers"] is False
        assert phone.errors == []
    finally:
        phone.close()
