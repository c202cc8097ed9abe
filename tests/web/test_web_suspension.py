"""挂起 through the web: the holding unit asks on its 处置 form (reason, expected resume date, checked
beside the fields), the shift lead's inbox gets 挂起审批, the case page shows 挂起 with the reason and
dates and offers 恢复 to the shift lead, who resumes it there."""
from tests.handlers.cases.test_lifecycle import JIALIAN, SIMING, YINGCUI, file_case
from tests.web.conftest import field_error, text
from tests.web.test_web_tasks import done, open_form, submit


def test_ask_approve_show_and_resume_through_the_web(city, browse):
    case_no = file_case(city, urgency="B", reported="2026-04-02 09:50", filed="2026-04-02 10:00")
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    city.set_clock("2026-04-03 09:00")
    officer = browse(f"officer-{YINGCUI}")
    tid, page = open_form(officer, city, case_no, "handle")
    assert "申请挂起（等待第三方）" in text(page) and 'type="date"' in text(page) and "预计恢复日期" in text(page)
    assert field_error(submit(officer, tid, action="suspend", reason="等待燃气公司", resume_on="2026-04-03"),
                       "resume_on") == "预计恢复日期须在今天之后"
    assert field_error(submit(officer, tid, action="suspend", resume_on="2026-04-08"), "reason") == "申请挂起时必填"
    assert city.show(case_no)["status"] == "handling"
    done(submit(officer, tid, action="suspend", reason="等待燃气公司", resume_on="2026-04-08"))

    shiftlead = browse("shiftlead")
    assert "挂起审批" in text(shiftlead.get("/tasks"))
    tid, page = open_form(shiftlead, city, case_no, "approve_suspension")
    assert "是否批准挂起" in text(page)
    done(submit(shiftlead, tid, approved="true", comment="同意"))

    page = text(shiftlead.get(f"/cases/{case_no}"))
    assert "挂起" in page and "等待燃气公司" in page and "预计恢复日期 2026-04-08" in page
    assert 'id="resume-form"' in page
    assert 'id="resume-form"' not in text(officer.get(f"/cases/{case_no}"))   # the unit resumes on its task
    assert "恢复" in text(officer.get("/tasks"))

    city.set_clock("2026-04-07 09:00")     # suspended Fri 09:00-12:00, 14:30-17:30, Tue 08:00-09:00: 7 h
    shiftlead.get(f"/cases/{case_no}")
    done(shiftlead.post(f"/cases/{case_no}/resume", {"comment": "燃气公司已处理"}))
    shown = city.show(case_no)
    assert shown["status"] == "handling" and shown["due_at"] == "2026-04-08T10:00:00+08:00"
    page = text(shiftlead.get(f"/cases/{case_no}"))
    assert "值班长恢复挂起的案件" in page and "恢复计时" in page
    # a second resume: the case is no longer suspended, nothing changes
    assert shiftlead.post(f"/cases/{case_no}/resume", {"comment": ""}).status_code == 303
    assert city.show(case_no)["due_at"] == "2026-04-08T10:00:00+08:00"
