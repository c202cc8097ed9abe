"""Process owners and auditors in the browser: an owner changes the B time limit from 2 to 3
working days in the DMN table editor and deploys (a new B case gets 3 days, a running one keeps
2); an unquoted timer expression typed into the properties panel is refused and shown on its
element; running cases are checked and moved from the migration page; an auditor looks at the
diagram as it stood after an earlier event and replays the case."""
import pytest

from engine import deployments
from handlers.process import versions
from tests import deployment_files as files
from tests.e2e.conftest import DESKTOP, Web

pytestmark = pytest.mark.e2e


def open_modeller(web):
    page = web.page
    page.click("nav >> text=流程建模")
    page.wait_for_selector("#modeller[data-ready='1']")
    return page


def test_owner_changes_the_b_time_limit_in_the_table_and_sees_errors_on_the_diagram(live, browser, db_url):
    city = live
    sqlite = db_url.startswith("sqlite")
    city.set_clock("2026-03-02 09:00")
    running = city.report()
    city.complete(running, "accept_report", "intake", decision="file", urgency="B")
    desk = Web(browser, city.url, "desktop", **DESKTOP)
    try:
        desk.login("owner")
        page = open_modeller(desk)
        assert page.locator(".djs-element[data-element-id='accept_report']").count() == 1
        table = page.locator('section.dmn-table[data-file="time_limit.dmn"]')
        # the default B row (any category): the last row with "B", after the categories' own rows
        row = table.locator("""tbody tr:has(td.input-cell:has-text('"B"'))""").last
        cell = row.locator("td.output-cell .content-editable").first
        assert cell.inner_text().strip() == "2"
        cell.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("3")
        page.fill("#deploy-note", "B 类时限由 2 个工作日改为 3 个工作日")
        page.click("#deploy-button")
        page.wait_for_selector("#deployed:not([hidden])")
        assert "已部署为版本 3" in page.locator("#deployed h2").inner_text()   # 2: the emergency process
        assert page.locator("#deployed-version").inner_text() == "3"
        if sqlite:
            desk.shot("modeller-deployed-desktop")
        deployed = city.work(lambda s: versions.get(s, 3))
        assert deployed.created_by == "owner" and deployed.note == "B 类时限由 2 个工作日改为 3 个工作日"
        assert deployed.files["case_handling.bpmn"] == files.shipped()["case_handling.bpmn"].decode()  # untouched

        fresh = city.report(description="新版本上的 B 类案件")
        city.complete(fresh, "accept_report", "intake", decision="file", urgency="B")
        assert city.show(fresh)["due_at"] == "2026-03-05T09:00:00+08:00"      # 3 working days on version 2
        assert city.show(running)["due_at"] == "2026-03-04T09:00:00+08:00"    # 2 on version 1, as filed

        # An unquoted ISO duration typed as the warning timer's expression: refused, shown on it.
        page.click(".djs-element[data-element-id='warning_timer'] .djs-hit", force=True)
        expression = page.locator("#bio-properties-panel-citygrid-timer-expression")
        expression.fill("P2D")
        expression.press("Tab")
        page.fill("#deploy-note", "黄灯改为固定两天")
        page.click("#deploy-button")
        page.wait_for_selector("#problems:not([hidden])")
        note = page.locator(".cg-problem-note[data-element='warning_timer']")
        assert note.is_visible() and '"P2D"' in note.inner_text()
        assert page.locator(".djs-element.cg-error[data-element-id='warning_timer']").count() == 1
        assert "warning_timer「黄灯预警」" in page.locator("#problem-list").inner_text()
        if sqlite:
            desk.shot("modeller-error-desktop")
        assert len(city.work(deployments.all_versions)) == 3                  # nothing deployed (1, 3 and the emergency 2)
        assert desk.errors == []
    finally:
        desk.close()


def test_owner_moves_running_cases_and_an_auditor_replays_one(live, browser, db_url):
    city = live
    sqlite = db_url.startswith("sqlite")
    city.set_clock("2026-03-02 09:00")
    filed = city.report()
    city.complete(filed, "accept_report", "intake", decision="file", urgency="B")
    waiting = city.report(description="尚未受理")
    city.work(lambda s: deployments.deploy(s, city.runtime, files=files.b_limit(3), process_id="case_handling",
                                           actor="owner", note="B 3"))
    desk = Web(browser, city.url, "desktop", **DESKTOP)
    try:
        desk.login("owner")
        page = desk.page
        page.click("nav >> text=案件迁移")
        page.wait_for_selector("#running-cases")
        page.check("#check-all")
        page.click("#dry-run")
        page.wait_for_selector("#migration-plan")
        assert "1 件可以迁移，1 件不能迁移" in page.locator("#migration-plan").inner_text()
        assert "「时限」（time_limit）已完成" in page.locator(f'#migration-plan tr[data-case="{filed}"]').inner_text()
        assert page.locator(f'#running-cases input[value="{waiting}"]').is_checked()       # the movable one
        assert not page.locator(f'#running-cases input[value="{filed}"]').is_checked()
        if sqlite:
            desk.shot("migration-plan-desktop")
        page.click("#run-migration")
        page.wait_for_selector("#migration-result")
        assert "已迁移" in page.locator(f'#migration-result tr[data-case="{waiting}"]').inner_text()
        assert city.work(lambda s: {r.deployment.id: r.running for r in versions.list_versions(s)}) == {1: 1, 2: 0, 3: 1}
        city.complete(waiting, "accept_report", "intake", decision="file", urgency="B")
        assert city.show(waiting)["due_at"] == "2026-03-05T09:00:00+08:00"

        desk.logout()
        desk.login("auditor")
        page.goto(f"/audit/cases/{waiting}")
        page.wait_for_selector("#audit-diagram[data-ready='1']")
        assert page.locator("#event-label").inner_text().startswith("#3")
        page.locator("#event-slider").fill("1")                 # right after the report, on version 1
        page.wait_for_selector("#audit-diagram[data-seq='1'][data-ready='1']")
        assert page.locator(".djs-element.cg-active[data-element-id='accept_report']").count() == 1
        assert page.locator(".djs-element.cg-done[data-element-id='accept_report']").count() == 0
        page.wait_for_function("document.getElementById('event-label').textContent.includes('版本 1')")
        if sqlite:
            desk.shot("audit-case-desktop")
        page.click("#replay-button")
        page.wait_for_selector("#replay-result")
        assert page.locator("#replay-result").inner_text() == "回放一致 (verified)"
        assert desk.errors == []
    finally:
        desk.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_owner_makes_a_new_process_from_the_default_one_and_a_taken_id_is_refused(live, browser):
    """The versions page's form: an id already taken is refused with its reason, the form keeping
    what was typed, and nothing deployed; a free one deploys a copy of the default process and
    opens it in the modeller, and the versions page then lists it. UI only: on SQLite."""
    desk = Web(browser, live.url, "desktop", **DESKTOP)
    try:
        desk.login("owner")
        page = desk.page
        page.goto("/process/versions")
        page.fill("#new-process-id", "case_handling")
        page.fill("#new-process-name", "违法建设执法立案")
        page.click("#new-process button[type=submit]")
        page.wait_for_selector(".flash-error")  # count() does not wait for the answer's page
        assert page.locator(".flash-error").count() == 1
        assert page.input_value("#new-process-id") == "case_handling"
        assert page.input_value("#new-process-name") == "违法建设执法立案"
        assert page.locator("tr[data-process='illegal_building']").count() == 0

        page.fill("#new-process-id", "illegal_building")
        page.click("#new-process button[type=submit]")
        page.wait_for_selector("#modeller[data-ready='1']")
        opened = page.locator("#opened-version")
        assert opened.get_attribute("data-process") == "illegal_building"
        assert "复制自默认流程" in page.locator(".flash-success").inner_text()
        version = int(opened.get_attribute("data-version"))

        page.goto("/process/versions")
        assert page.locator("tr[data-process='illegal_building']").count() == 1
    finally:
        desk.close()
    deployed = live.work(lambda s: deployments.current(s, "illegal_building"))
    assert deployed.id == version and "illegal_building.bpmn" in deployed.files
