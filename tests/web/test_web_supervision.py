"""督办 from the case page (Flask's test client, SQLite and PostgreSQL): the form is offered to the
shift lead and the case's supervisors only, while the case is being handled; a refused comment is
shown again with its message and writes nothing; the holder then has the reply in its inbox."""
from tests.web.conftest import text


def dispatched(city):
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    city.set_clock("2026-03-02 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="B")
    city.assign_down(case_no, "350203", "350203011")
    return case_no


def test_the_form_is_offered_only_to_who_may_press(city, browse):
    case_no = dispatched(city)
    for username, offered in (("shiftlead", True), ("supervisor-350203", True), ("supervisor-committee", True),
                              ("officer-350203011", False), ("dispatcher", False)):
        page = browse(username).get(f"/cases/{case_no}")
        assert page.status_code == 200
        assert ('id="supervise-form"' in text(page)) is offered, username
    assert browse("supervisor-350206").get(f"/cases/{case_no}").status_code == 404


def test_pressing_from_the_case_page(city, browse):
    case_no = dispatched(city)
    lead = browse("shiftlead")
    lead.get(f"/cases/{case_no}")
    refused = lead.post(f"/cases/{case_no}/supervise", {"comment": ""})
    assert refused.status_code == 422 and "长度须在" in text(refused)
    assert [t["step"] for t in city.open_tasks(case_no)] == ["dispatch"]
    assert browse("officer-350203011").post(f"/cases/{case_no}/supervise", {"comment": "x"}).status_code == 403
    done = lead.post(f"/cases/{case_no}/supervise", {"comment": "请今日处置完毕"})
    assert done.status_code == 303
    page = text(lead.get(f"/cases/{case_no}"))
    assert "督办（人工发起）" in page and "请今日处置完毕" in page
    inbox = text(browse("officer-350203011").get("/tasks"))
    assert "督办回复" in inbox
