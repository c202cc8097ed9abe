"""Auditors' pages with Flask's test client (SQLite and PostgreSQL): a case's full history (form
data, before/after values, versions), the diagram after an earlier event (also across a
migration), replay verified, a tampered event detected, and the summary of all cases."""
import json

from sqlalchemy import text as sql

from engine import deployments, instance_migration as migration
from handlers.cases import service as cases
from tests import deployment_files as files
from tests.web.conftest import text


def extended_case(city):
    """Filed as A at 16:10, handled by 思明区, extended by 2 working days."""
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    city.set_clock("2026-03-02 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    city.dispatch_down(case_no, "350203")
    city.complete(case_no, "handle", "officer-350203", action="extend", working_days=2, reason="需要协调")
    city.complete(case_no, "approve_extension", "shiftlead", approved=True, comment="同意")
    return case_no


def test_a_cases_history_shows_who_when_what_and_the_versions(city, browse):
    case_no = extended_case(city)
    auditor = browse("auditor")
    page = auditor.get(f"/audit/cases/{case_no}")
    assert page.status_code == 200
    shown = text(page)
    for words in ("完整：", "回放校验", "上报（网格员上报）", "受理审核", "受理决定", "<td>立案</td>", "紧急程度",
                  "2026-03-02 16:10:00", "受理员", "intake", "延期审批", "shiftlead", "时限调整",
                  "2026-03-03 16:10:00（北京时间）", "2026-03-05 16:10:00（北京时间）", "需要协调"):
        assert words in shown, words
    rows = shown.count('<tr data-seq="')
    assert rows == 7 and 'data-kind="data_changed"' in shown
    # Names where people expect them: units, users, choices and channels, never their bare codes.
    for words in ("<td>思明区（350203）</td>", "<td>下派</td>", "<td>网格员上报</td>", "<td>盈翠社区第1网格网格员</td>",
                  "<td>盈翠社区第1网格（35020301100301）</td>", "<td>乱倒乱排污水废水</td>", "<td>批准</td>"):
        assert words in shown, words
    for raw in ("<td>assign</td>", "<td>350203</td>", "<td>grid</td>", "<td>file</td>", "（task_completed）",
                "<td>grid-35020301100301</td>", "<td>200115</td>"):
        assert raw not in shown, raw
    replayed = text(auditor.get(f"/audit/cases/{case_no}?replay=1"))
    assert "回放一致 (verified)" in replayed


def test_the_diagram_after_an_earlier_event_on_the_version_of_that_time(city, browse):
    city.set_clock("2026-03-02 09:00")
    case_no = city.report()
    new = city.work(lambda s: deployments.deploy(s, city.runtime, files=files.b_limit(3), process_id="case_handling",
                                                 actor="owner", note="B 3"))
    city.work(lambda s: migration.migrate(s, city.runtime, cases.get_by_no(s, case_no).instance_id, new, actor="owner"))
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="B")
    city.complete(case_no, "dispatch", "dispatcher", action="assign", unit="350203")
    auditor = browse("auditor")
    first = json.loads(auditor.get(f"/audit/cases/{case_no}/diagram/1.json").data)
    assert first["version"] == 1 and first["active"] == ["accept_report"] and "dispatch" not in first["completed"]
    assert 'id="case_handling"' in first["xml"]
    third = json.loads(auditor.get(f"/audit/cases/{case_no}/diagram/3.json").data)   # after filing, on version 2
    assert third["version"] == new.id and "accept_report" in third["completed"] and "dispatch" in third["active"]
    assert {"warning_timer", "overdue_timer"} <= set(third["waiting"])
    last = json.loads(auditor.get(f"/audit/cases/{case_no}/diagram/4.json").data)
    assert "dispatch" in last["completed"] and "dispatch" in last["active"]            # the next level's dispatch
    assert auditor.get(f"/audit/cases/{case_no}/diagram/99.json").status_code == 422
    page = text(auditor.get(f"/audit/cases/{case_no}"))
    assert "迁移流程版本" in page and "audit.js" in page and 'id="event-slider"' in page
    assert "回放一致 (verified)" in text(auditor.get(f"/audit/cases/{case_no}?replay=1"))


def test_a_tampered_event_is_detected_on_the_pages(city, browse):
    case_no = extended_case(city)
    other = city.report(description="另一件")
    instance_id = city.work(lambda s: cases.get_by_no(s, case_no).instance_id)
    city.work(lambda s: s.execute(sql("UPDATE events SET actor = 'mallory' WHERE stream = :stream AND seq = 2"),
                                  {"stream": f"instance:{instance_id}"}))
    auditor = browse("auditor")
    page = text(auditor.get(f"/audit/cases/{case_no}"))
    assert "被破坏：event #2 of instance:" in page and "was altered" in page
    summary = text(auditor.get("/audit?verify=1"))
    assert "哈希链完整 1 件，被破坏 1 件" in summary and "回放一致 1 件，不一致 1 件" in summary
    assert f'<tr data-case="{case_no}" class="bad">' in summary and f'<tr data-case="{other}" class="ok">' in summary
    assert "系统日志" in summary and "哈希链完整（" in summary


def test_only_auditors_and_admins_see_the_audit_pages(city, browse):
    case_no = city.report()
    for username in ("owner", "intake", "shiftlead", "grid-35020301100301"):
        browser = browse(username)
        assert browser.get("/audit").status_code == 403, username
        assert browser.get(f"/audit/cases/{case_no}").status_code == 403, username
        assert browser.get(f"/audit/cases/{case_no}/diagram/1.json").status_code == 403, username
    admin = browse("admin")
    assert admin.get(f"/audit/cases/{case_no}").status_code == 200
    assert admin.get("/audit/cases/2099010100001").status_code == 404
