"""The case page, its photos and diagram data, and the case list: a user never sees a case
outside their subtree (404, not listed), the command center sees all."""
import json
import re
from io import BytesIO

from tests.e2e.conftest import png
from tests.web.conftest import text

SIMING = "350203"


def reported_with_photo(city, browse):
    city.set_clock("2026-03-02 16:05")
    grid = browse("grid-35020301100301")
    response = grid.post("/report", {"category": "200115", "description": "明发商业广场台球馆门口污水横流",
                                     "photos": [(BytesIO(png()), "p.png")]}, content_type="multipart/form-data")
    case_no = response.location.rsplit("/", 1)[1]
    photo = re.search(rf'/cases/{case_no}/photos/(\d+)', text(grid.get(f"/cases/{case_no}")))[0]
    return case_no, photo


def test_nobody_sees_a_case_outside_their_subtree(city, browse):
    case_no, photo = reported_with_photo(city, browse)
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    city.complete(case_no, "dispatch", "dispatcher", action="assign", unit=SIMING)
    for outsider in ("officer-350206", "officer-350206001", "grid-35020301100302", "officer-350203008",
                     "officer-350200901"):
        browser = browse(outsider)
        for url in (f"/cases/{case_no}", photo, f"/cases/{case_no}/diagram.json"):
            assert browser.get(url).status_code == 404, (outsider, url)
        assert f'data-case="{case_no}"' not in text(browser.get("/cases")), outsider
        assert f'data-case="{case_no}"' not in text(browser.get(f"/cases?case_no={case_no}")), outsider
    for insider in ("officer-350203", "officer-350203011", "officer-350203011003", "grid-35020301100301",
                    "intake", "dispatcher", "shiftlead", "auditor", "owner", "admin"):
        browser = browse(insider)
        assert browser.get(f"/cases/{case_no}").status_code == 200, insider
        with browser.get(photo) as image:
            assert image.status_code == 200 and image.mimetype == "image/png" and image.data == png()
        assert f'data-case="{case_no}"' in text(browser.get("/cases")), insider


def test_case_page_shows_fields_deadline_timeline_and_diagram_marks(city, browse):
    case_no, _ = reported_with_photo(city, browse)
    city.set_clock("2026-03-02 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")
    city.set_clock("2026-03-03 15:00")                     # 5 h 50 min of the 7 h limit used (83%): yellow
    dispatcher = browse("dispatcher")
    page = text(dispatcher.get(f"/cases/{case_no}"))
    for words in ("乱倒乱排污水废水", "盈翠社区第1网格", "2026-03-02 16:05", "上报（网格员上报）", "受理审核",
                  "紧急程度：A 紧急", "light-yellow", "剩余 1小时10分", "2026-03-03 16:10", "上报照片（1）",
                  "bpmn-navigated-viewer.production.min.js"):
        assert words in page, words
    assert '<a class="button primary small" href="/tasks/' in page          # the dispatcher's own task
    assert "<dt>上报人</dt><dd>盈翠社区第1网格网格员</dd>" in page             # the display name, not the username
    marks = json.loads(dispatcher.get(f"/cases/{case_no}/diagram.json").data)
    assert 'id="case_handling"' in marks["xml"]
    assert {"report_received", "accept_report", "compute_deadline"} <= set(marks["completed"])
    assert "dispatch" in marks["active"] and "handling" in marks["active"]
    assert {"warning_timer", "overdue_timer"} <= set(marks["waiting"])
    assert ["accept_report", "gw_decision"] in marks["flows"]
    assert marks["last"]
    city.set_clock("2026-03-03 16:10")
    assert "已超期" in text(dispatcher.get(f"/cases/{case_no}"))


def test_provisional_deadlines_are_marked(city, browse):
    city.set_clock("2026-12-31 16:00")                     # 4 working days reach into 2027: no official data yet
    case_no = city.report()
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="C")
    assert city.show(case_no)["due_provisional"] is True
    page = text(browse("dispatcher").get(f"/cases/{case_no}"))
    assert 'class="provisional"' in page and "暂定" in page


def test_case_list_filters_and_pages(city, browse):
    city.set_clock("2026-03-02 09:00")
    numbers = [city.report(description=f"第{n}处污水") for n in range(23)]
    city.complete(numbers[0], "accept_report", "intake", decision="file", urgency="A")
    city.set_clock("2026-03-03 09:00")
    other = city.report("intake", channel="intake", grid=None, community="350211002003", category="200509",
                        description="叶厝菜市场占道经营")
    intake = browse("intake")
    first = text(intake.get("/cases"))
    assert '<span class="count">24</span>' in first and "第 1 / 2 页" in first
    assert other in first and numbers[0] not in first       # newest first, 20 a page
    assert re.search(r'data-label="上报时间"><time [^>]*>2026-03-03 09:00</time>', first)   # with its year
    assert numbers[0] in text(intake.get("/cases?page=2"))
    assert f'data-case="{other}"' in text(intake.get("/cases?category=2005"))
    assert f'data-case="{numbers[5]}"' not in text(intake.get("/cases?category=2005"))
    assert '<span class="count">1</span>' in text(intake.get("/cases?unit=350211"))
    assert '<span class="count">1</span>' in text(intake.get("/cases?from=2026-03-03&to=2026-03-03"))
    assert '<span class="count">23</span>' in text(intake.get("/cases?to=2026-03-02"))
    assert '<span class="count">1</span>' in text(intake.get("/cases?status=dispatching"))
    assert '<span class="count">24</span>' in text(intake.get("/cases?status=open"))
    # numbers[0] (A, filed 03-02 09:00) is due 03-03 09:00, now: overdue from its due instant on
    assert '<span class="count">1</span>' in text(intake.get("/cases?overdue=1"))
    city.set_clock("2026-03-03 08:59")
    assert '<span class="count">0</span>' in text(intake.get("/cases?overdue=1"))
    city.set_clock("2026-03-04 09:00")
    overdue = text(intake.get("/cases?overdue=1"))
    assert '<span class="count">1</span>' in overdue and numbers[0] in overdue
    assert f'data-case="{numbers[0]}"' in text(intake.get(f"/cases?case_no={numbers[0]}"))
    assert "没有符合条件的案件" in text(intake.get("/cases?case_no=19990101"))
    # garbage in the query is ignored, never an error
    assert intake.get("/cases?page=x&from=yesterday&unit=nowhere&status=%27").status_code == 200
    # 集美区 sees only its own case
    jimei = text(browse("officer-350211").get("/cases"))
    assert '<span class="count">1</span>' in jimei and other in jimei


def a_varied_monday(city):
    """Mon 2026-03-02: an A case of 盈翠's grid filed 09:05 (warns 17:11, due Tue 09:05), a hotline C
    case at 叶厝 filed 09:15 (due Fri 09:15), a grid report not yet filed, and a B case closed."""
    city.set_clock("2026-03-02 09:00")
    grid_a = city.report(description="污水")
    city.set_clock("2026-03-02 09:05")
    city.complete(grid_a, "accept_report", "intake", decision="file", urgency="A")
    city.set_clock("2026-03-02 09:10")
    hotline = city.report("intake", channel="hotline12345", grid=None, community="350211002003", category="200509",
                          description="叶厝菜市场占道经营", external_ref="12345-1")
    city.set_clock("2026-03-02 09:15")
    city.complete(hotline, "accept_report", "intake", decision="file", urgency="C")
    city.set_clock("2026-03-02 09:20")
    unfiled = city.report(description="尚未受理")
    voided = city.report(description="重复")
    city.complete(voided, "accept_report", "intake", decision="void", reason="重复上报")
    return dict(grid_a=grid_a, hotline=hotline, unfiled=unfiled, voided=voided)


# query -> the cases of `a_varied_monday` it lists at Mon 17:30 (the A case's light is yellow then)
NEW_FILTERS = [
    ({"channel": "hotline12345"}, ["hotline"]),
    ({"urgency": "A"}, ["grid_a"]), ({"urgency": "none"}, ["voided", "unfiled"]),
    ({"urgency": "none", "status": "open"}, ["unfiled"]),
    ({"light": "yellow"}, ["grid_a"]), ({"light": "green"}, ["hotline"]), ({"light": "red"}, []),
    ({"due": "2026-03-03"}, ["grid_a"]), ({"due": "2026-03-06"}, ["hotline"]), ({"due": "2026-03-02"}, []),
    ({"dated": "filed", "from": "2026-03-02", "to": "2026-03-02"}, ["hotline", "grid_a"]),
    ({"dated": "closed", "from": "2026-03-02", "to": "2026-03-02"}, ["voided"]),
    ({"dated": "closed", "from": "2026-03-03"}, []),
    ({"area": "350211"}, ["hotline"]), ({"area": "35020301100301"}, ["voided", "unfiled", "grid_a"]),
    ({"area": "350203", "channel": "grid", "status": "open"}, ["unfiled", "grid_a"]),
]


def test_case_list_filters_by_channel_urgency_light_deadline_area_and_date_kind(city, browse):
    cases = a_varied_monday(city)
    city.set_clock("2026-03-02 17:30")
    intake = browse("intake")
    for query, expected in NEW_FILTERS:
        page = text(intake.get("/cases", query_string=query))
        assert re.findall(r'data-case="(\d+)"', page) == [cases[k] for k in expected], query
        assert f'<span class="count">{len(expected)}</span>' in page, query
    city.set_clock("2026-03-03 09:05")                     # the A case's deadline: red from its instant on
    assert re.findall(r'data-case="(\d+)"', text(intake.get("/cases?light=red"))) == [cases["grid_a"]]
    # garbage is ignored, never an error
    assert intake.get("/cases?light=blue&urgency=Z&due=soon&dated=x&channel=fax&area=nowhere").status_code == 200


def test_the_case_list_is_named_for_what_its_user_sees(city, browse):
    """案件查询 for the command center, 全市案件 for the city's supervisors (their unit is the root),
    辖区案件 for a district's: in the menu and on the list itself."""
    for username, title in (("intake", "案件查询"), ("supervisor-committee", "全市案件"),
                            (f"supervisor-{SIMING}", "辖区案件"), (f"officer-{SIMING}", "辖区案件")):
        page = text(browse(username).get("/cases"))
        assert re.search(rf"<h1>{title} <span", page) and f">{title}</a>" in page, username
