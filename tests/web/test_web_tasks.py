"""我的待办 and the task forms through the test client: every step of the published contract is
shown and completed through its web form, bad input comes back with the error beside its field and
changes nothing, and only those who may complete a task can open it (403, or 404 outside their subtree)."""
import json
import re
from io import BytesIO

from handlers.cases import attachments, service as cases
from handlers.categories.catalogue import get_catalogue
from tests.e2e.conftest import png
from tests.web.conftest import field_error, text

SIMING, JIALIAN, YINGCUI = "350203", "350203011", "350203011003"
GRID_USER = "grid-35020301100301"


def task_id(city, case_no, step):
    return city.task(case_no, step)["id"]


def open_form(browser, city, case_no, step):
    tid = task_id(city, case_no, step)
    page = browser.get(f"/tasks/{tid}")
    assert page.status_code == 200, text(page)[:2000]
    assert 'id="task-form"' in text(page)
    return tid, page


def submit(browser, tid, **form):
    return browser.post(f"/tasks/{tid}", form)


def done(response):
    assert response.status_code == 303, text(response)[:3000]
    return response


def photos_of(city, case_no):
    return city.work(lambda s: [(a.kind, a.step) for a in attachments.for_case(s, cases.get_by_no(s, case_no).id)])


def test_every_step_through_its_web_form(city, browse):
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()

    # 受理审核: the decision, category (catalogue, preselected) and urgency; first ask the grid to verify.
    intake = browse("intake")
    inbox = intake.get("/tasks")
    assert case_no in text(inbox) and "受理审核" in text(inbox)
    tid, page = open_form(intake, city, case_no, "accept_report")
    assert re.search(r'<option value="200115" selected>200115 乱倒乱排污水废水</option>', text(page))
    assert 'name="decision" value="verify"' in text(page)
    refused = submit(intake, tid, decision="file")
    assert refused.status_code == 422
    assert field_error(refused, "urgency") == "立案时必填"
    assert city.show(case_no)["status"] == "accepting"
    done(submit(intake, tid, decision="verify"))

    # 核实 by the grid worker.
    grid = browse(GRID_USER)
    tid, page = open_form(grid, city, case_no, "verify_report")
    assert "属实" in text(page) and "核查照片" in text(page)
    refused = submit(grid, tid, note="看过了")
    assert field_error(refused, "exists") == "必填"
    done(submit(grid, tid, exists="true", note="现场确有污水"))

    tid, _ = open_form(intake, city, case_no, "accept_report")
    done(submit(intake, tid, decision="file", urgency="A", category="200115"))
    assert city.show(case_no)["urgency"] == "A"

    # 派遣: the center assigns to a district (no return at the center); a unit not directly below is refused.
    dispatcher = browse("dispatcher")
    tid, page = open_form(dispatcher, city, case_no, "dispatch")
    assert '<option value="350203" >' in text(page) and '<option value="350200901" >' in text(page)
    assert 'value="return"' not in text(page)
    refused = submit(dispatcher, tid, action="assign", unit=JIALIAN)
    assert refused.status_code == 422 and "下级单位" in field_error(refused, "unit")
    refused = submit(dispatcher, tid, action="assign")
    assert field_error(refused, "unit") == "下派时必填"
    done(submit(dispatcher, tid, action="assign", unit=SIMING))
    district = browse(f"officer-{SIMING}")
    tid, page = open_form(district, city, case_no, "dispatch")
    assert 'value="return"' in text(page)
    assert field_error(submit(district, tid, action="return"), "reason") == "退回时必填"
    done(submit(district, tid, action="assign", unit=JIALIAN))
    street = browse(f"officer-{JIALIAN}")
    tid, _ = open_form(street, city, case_no, "dispatch")
    done(submit(street, tid, action="handle"))

    # 处置: ask for an extension; the shift lead approves it (as asked when no number is given).
    tid, page = open_form(street, city, case_no, "handle")
    assert 'accept="image/*" capture="environment" multiple' in text(page)
    refused = submit(street, tid, action="extend", working_days="abc", reason="需协调物业")
    assert field_error(refused, "working_days") == "须为整数"
    refused = submit(street, tid, action="extend", working_days="40", reason="需协调物业")
    assert field_error(refused, "working_days") == "须在 1 到 30 之间"
    done(submit(street, tid, action="extend", working_days="2", reason="需协调物业"))
    due_before = city.show(case_no)["due_at"]
    shiftlead = browse("shiftlead")
    tid, page = open_form(shiftlead, city, case_no, "approve_extension")
    assert "批准" in text(page) and "不填则按申请的天数" in text(page)
    done(submit(shiftlead, tid, approved="true"))
    assert city.show(case_no)["due_at"] > due_before

    # 处置 done with after-photos; a file that is no image is refused first and nothing is written.
    tid, _ = open_form(street, city, case_no, "handle")
    refused = street.post(f"/tasks/{tid}", {"action": "done", "result": "已疏通",
                                            "photos": [(BytesIO(png()), "after.png"), (BytesIO(b"not an image"), "notes.txt")]},
                          content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "只接受 JPEG、PNG 或 WebP 图片" in field_error(refused, "photos")
    assert city.show(case_no)["status"] == "handling" and photos_of(city, case_no) == []
    done(street.post(f"/tasks/{tid}", {"action": "done", "result": "莲景物业疏通下水道",
                                       "photos": [(BytesIO(png()), "a.png"), (BytesIO(png(rgb=(1, 2, 3))), "b.png")]},
                     content_type="multipart/form-data"))
    assert photos_of(city, case_no) == [("after", "handle"), ("after", "handle")]

    # 审核 up to the center: sending back needs a comment.
    tid, page = open_form(district, city, case_no, "review")
    assert "退回重办" in text(page)
    assert field_error(submit(district, tid, approved="false"), "comment") == "退回重办时必填"
    done(submit(district, tid, approved="true"))
    tid, _ = open_form(dispatcher, city, case_no, "review")
    done(submit(dispatcher, tid, approved="true", comment="同意"))

    # 核查 by the grid worker, with a check photo; 结案 by the shift lead.
    tid, _ = open_form(grid, city, case_no, "check_result")
    assert field_error(submit(grid, tid, passed="false"), "note") == "核查不通过时必填"
    done(grid.post(f"/tasks/{tid}", {"passed": "true", "note": "现场已无污水", "photos": [(BytesIO(png()), "c.png")]},
                   content_type="multipart/form-data"))
    # The shift lead's 结案 card and form name the unit that handled it, not the grid that checked.
    card = re.search(r'承办单位：([^<]*)<', text(shiftlead.get("/tasks")))
    assert card and card[1] == "嘉莲街道", card
    tid, page = open_form(shiftlead, city, case_no, "close_case")
    assert re.search(r"<dt>承办单位</dt><dd>([^<]*)</dd>", text(page))[1] == "嘉莲街道"
    assert "· 盈翠社区第1网格网格员 ·" in text(page)                        # who reported it, by name
    done(submit(shiftlead, tid, comment="结案"))
    assert city.show(case_no)["status"] == "closed"
    assert ("check", "check_result") in photos_of(city, case_no)

    # The case page tells the whole story in Chinese.
    page = text(shiftlead.get(f"/cases/{case_no}"))
    for words in ("核实", "派网格员核实", "申请延期", "批准延期 2 个工作日", "处置后照片（2）", "核查照片（1）", "已结案"):
        assert words in page, words


def test_supervise_form_after_the_overdue_timer(city, browse):
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    city.set_clock("2026-03-04 09:00")
    city.sweep()
    shiftlead = browse("shiftlead")
    inbox = text(shiftlead.get("/tasks"))
    assert "督办" in inbox and "已超期" in inbox
    tid, _ = open_form(shiftlead, city, case_no, "supervise")
    assert field_error(submit(shiftlead, tid, comment=""), "comment") == "必填"
    done(submit(shiftlead, tid, comment="请尽快派遣"))
    # the 督办 reaches the holder (the center's dispatcher), who must answer it
    assert [(t["step"], t["role"]) for t in city.open_tasks(case_no)] == [("dispatch", "dispatcher"),
                                                                          ("supervise_reply", "dispatcher")]


def test_inbox_filters_by_urgency_and_status(city, browse):
    city.set_clock("2026-03-02 09:00")
    a = city.report()
    city.complete(a, "accept_report", "intake", decision="file", urgency="A")
    b = city.report(description="另一处污水")
    city.complete(b, "accept_report", "intake", decision="file", urgency="B")
    c = city.report(description="尚未受理")
    dispatcher = browse("dispatcher")
    page = text(dispatcher.get("/tasks"))
    assert a in page and b in page and c not in page          # only the tasks this user may complete
    page = text(dispatcher.get("/tasks?urgency=B"))
    assert b in page and a not in page
    assert "没有符合条件的待办" in text(dispatcher.get("/tasks?status=handling"))
    intake_page = text(browse("intake").get("/tasks?status=accepting"))
    assert c in intake_page and a not in intake_page


def test_only_who_may_complete_a_task_sees_its_form(city, browse):
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    city.complete(case_no, "dispatch", "dispatcher", action="assign", unit=SIMING)
    tid = task_id(city, case_no, "dispatch")              # held by 思明区
    # Another district: the case does not exist for it.
    other = browse("officer-350206")
    assert other.get(f"/tasks/{tid}").status_code == 404
    assert submit(other, tid, action="handle").status_code == 404
    # Below the holder, in the subtree: sees the case, may not complete the district's task.
    community = browse(f"officer-{YINGCUI}")
    assert community.get(f"/cases/{case_no}").status_code == 200
    forbidden = community.get(f"/tasks/{tid}")
    assert forbidden.status_code == 403 and "无权" in text(forbidden)
    assert submit(community, tid, action="handle").status_code == 403
    # The center sees everything but completes only its own role's tasks.
    assert browse("intake").get(f"/tasks/{tid}").status_code == 403
    assert city.show(case_no)["holder_unit"] == SIMING
    # An unknown or completed task is simply not there.
    assert browse(f"officer-{SIMING}").get("/tasks/00000000-0000-0000-0000-000000000000").status_code == 404


def test_a_community_is_not_offered_an_assignment_it_cannot_make(city, browse):
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    for holder, below in (("dispatcher", SIMING), (f"officer-{SIMING}", JIALIAN), (f"officer-{JIALIAN}", YINGCUI)):
        city.complete(case_no, "dispatch", holder, action="assign", unit=below)
    community = browse(f"officer-{YINGCUI}")
    tid, page = open_form(community, city, case_no, "dispatch")
    assert 'value="assign"' not in text(page) and 'name="unit"' not in text(page)   # only grids below
    assert 'value="handle"' in text(page) and 'value="return"' in text(page)
    refused = submit(community, tid, action="assign", unit=SIMING)      # sent anyway
    assert refused.status_code == 422 and field_error(refused, "action") == "盈翠社区 没有可下派的下级单位"
    assert city.task(case_no, "dispatch")["unit"] == YINGCUI
    done(submit(community, tid, action="handle"))


def urgency_hint(page):
    """The hint under the accept form's urgency field."""
    return re.search(r'data-field="urgency".*?<p class="hint">([^<]*)</p>', text(page), re.S)[1]


def standard_shown(page):
    """(kind, text) of the category's standard shown above a task form, or None."""
    found = re.search(r'<p class="standard" id="standard" data-kind="(\w+)"( hidden)?>(.*?)</p>', text(page), re.S)
    return (found[1], re.sub(r"<[^>]+>", "", found[3])) if found and not found[2] else None


def test_the_accept_forms_hint_says_the_limits_of_the_cases_own_table_for_its_category(city, browse):
    from engine import deployments
    from tests import deployment_files
    city.set_clock("2026-03-02 16:05")
    before, garbage_before = city.report(), city.report(category="200102")
    # version 2: the default B is 3 days, and 暴露垃圾's own C rule 2 days instead of 1
    files = deployment_files.rule_limit("time_limit_rule_200102_C", 2, deployment_files.b_limit(3))
    city.work(lambda s: deployments.deploy(s, city.runtime, files=files, process_id="case_handling", actor="owner"))
    after, garbage_after = city.report(), city.report(category="200102")
    intake = browse("intake")
    hints = {no: urgency_hint(open_form(intake, city, no, "accept_report")[1])
             for no in (before, garbage_before, after, garbage_after)}
    assert hints == {before: "立案时必填：A 1个工作日，B 2个工作日，C 4个工作日",
                     garbage_before: "立案时必填：A 1个工作日，B 1个工作日，C 1个工作日",
                     after: "立案时必填：A 1个工作日，B 3个工作日，C 4个工作日",
                     garbage_after: "立案时必填：A 1个工作日，B 1个工作日，C 2个工作日"}
    # the page's script has every category's hint on the case's version, for a category chosen there
    tid, page = open_form(intake, city, after, "accept_report")
    script = json.loads(re.search(r'id="category-standards">(.*?)</script>', text(page), re.S)[1])
    assert script["200102"]["hint"] == hints[garbage_after] and script["200115"]["hint"] == hints[after]
    # a form sent back for a category changed in it: that category's hint and 立案条件
    refused = submit(intake, tid, decision="file", category="200102")
    assert refused.status_code == 422 and urgency_hint(refused) == hints[garbage_after]
    assert standard_shown(refused) == ("filing", "立案条件：" + get_catalogue(city.app).get("200102").standard.filing)


def test_an_emergency_cases_hint_counts_working_hours(city, browse):
    """The emergency process's table gives working hours (`time_limit_hours`): its hint says so."""
    city.set_clock("2026-03-02 16:05")
    gas_cover = city.report(category="100111", description="燃气井盖缺失")      # routed to the emergency process
    hint = urgency_hint(open_form(browse("intake"), city, gas_cover, "accept_report")[1])
    assert hint == "立案时必填：A 2个工作小时，B 2个工作小时，C 2个工作小时"


def test_the_accept_check_and_close_forms_and_the_case_page_show_the_categorys_standard(city, browse):
    standard = get_catalogue(city.app).get("200115").standard
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()                           # 乱倒乱排污水废水, no urgency suggested
    _, page = open_form(browse("intake"), city, case_no, "accept_report")
    assert standard_shown(page) == ("filing", "立案条件：" + standard.filing)
    assert re.search(r'name="urgency" value="A" checked', text(page))       # the standard's usual urgency
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="已疏通下水道，清理路面")
    city.review_up(case_no, JIALIAN, SIMING, "350200")
    _, page = open_form(browse(GRID_USER), city, case_no, "check_result")
    assert standard_shown(page) == ("closing", "结案条件：" + standard.closing)
    city.complete(case_no, "check_result", GRID_USER, passed=True, note="现场已无污水")
    _, page = open_form(browse("shiftlead"), city, case_no, "close_case")
    assert standard_shown(page) == ("closing", "结案条件：" + standard.closing)
    shown = text(browse("intake").get(f"/cases/{case_no}"))
    assert re.search(rf'id="case-standard">\s*<dt>立案条件</dt><dd>{standard.filing}</dd>\s*'
                     rf'<dt>结案条件</dt><dd>{standard.closing}</dd>', shown)
