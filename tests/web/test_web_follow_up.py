"""回访 from the case page (Flask's test client, SQLite and PostgreSQL): the form is offered to the
intake operator on a closed hotline case only; a missing verdict is shown again with its message and
writes nothing; once recorded the page shows it in place of the form and on the timeline, and a
second is refused with its reason."""
from tests.handlers.callbacks.test_callbacks import close
from tests.web.conftest import text


def test_the_intake_operator_records_the_follow_up_of_a_closed_hotline_case(city, browse):
    city.set_clock("2026-03-02 16:05")
    case_no = city.report(username="intake", channel="hotline12345", external_ref="12345-0815")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    intake = browse("intake")
    assert 'id="follow-up-form"' not in text(intake.get(f"/cases/{case_no}"))       # not closed yet
    city.set_clock("2026-03-03 10:00")
    close(city, case_no)
    assert 'id="follow-up-form"' not in text(browse("shiftlead").get(f"/cases/{case_no}"))
    page = text(intake.get(f"/cases/{case_no}"))
    assert 'id="follow-up-form"' in page and "基本满意" in page

    refused = intake.post(f"/cases/{case_no}/follow-up", {"note": "未接通"})
    assert refused.status_code == 422 and "必填" in text(refused)
    assert browse("shiftlead").post(f"/cases/{case_no}/follow-up", {"rating": "satisfied"}).status_code == 403
    city.set_clock("2026-03-03 11:00")
    done = intake.post(f"/cases/{case_no}/follow-up", {"rating": "satisfied", "note": "市民对处置结果满意"})
    assert done.status_code == 303
    page = text(intake.get(f"/cases/{case_no}"))
    assert 'id="follow-up-form"' not in page and 'id="follow-up"' in page
    assert "回访" in page and "市民评价：满意" in page and "市民对处置结果满意" in page
    again = intake.post(f"/cases/{case_no}/follow-up", {"rating": "dissatisfied"})
    assert again.status_code == 303
    assert f"案件 {case_no} 已回访，不能再次登记" in text(intake.get(f"/cases/{case_no}"))
