"""管理 through the test client, as an admin and as others (403): the unit tree (add, rename, move,
centre, deactivate; a unit with open cases is refused with their count and link), users (add,
role and unit, password, tokens, deactivate), API clients and cameras, the calendar's years (an
upload checked, installed and followed by the recompute of the provisional deadlines) and the
category list; each refused form is shown again with its field messages (422) and writes nothing;
each change is on the system chain with its before/after; a second app on the same database (as
another worker process) sees the changed tree at its next request."""
import re
import shutil
from pathlib import Path

import pytest

from engine import events
from handlers.org import tokens
from tests.conftest import make_app
from tests.helpers import City
from tests.web.conftest import Browser, field_error, text

CALENDAR = Path(__file__).resolve().parents[2] / "calendar"
YINGCUI, JIALIAN, HUALIN = "350203011003", "350203011", "350203011002"
PAGES = ("/admin", "/admin/units", f"/admin/units/{YINGCUI}", "/admin/users", "/admin/users/officer-350203011003",
         "/admin/access", "/admin/calendar", "/admin/categories")
# An invented 2027 notice (the tests' own): 元旦 01-01..04, with Sunday 01-10 worked in exchange.
YEAR_2027 = ('year = 2027\n[notice]\ntitle = "测试通知"\nnumber = "测试〔2026〕1号"\ndate = 2026-11-01\n'
             '[[holidays]]\nname_zh = "元旦"\nname_en = "New Year\'s Day"\nfirst = 2027-01-01\nlast = 2027-01-04\n'
             'makeup_workdays = [2027-01-10]\n')


@pytest.fixture
def city(db_url, tmp_path):
    """The product with a calendar folder of its own (an upload writes into it)."""
    folder = tmp_path / "calendar"
    shutil.copytree(CALENDAR, folder)
    city = City(make_app(db_url, CITYGRID_CALENDAR_DIR=str(folder)))
    city.setup()
    city.calendar_dir = folder
    yield city
    city.app.extensions["citygrid.db"].dispose()


def admin(city):
    return Browser(city.app).login("admin")


def system_events(city, kind):
    return city.work(lambda s: [(e.actor, e.data) for e in events.get_stream(s, events.SYSTEM) if e.kind == kind])


def test_only_admins_reach_the_pages_and_see_the_nav_link(city):
    anonymous = Browser(city.app)
    assert anonymous.get("/admin/units").status_code == 302
    for username in ("officer-350203011003", "owner", "auditor"):
        other = Browser(city.app).login(username)
        assert "管理</a>" not in text(other.get("/cases"))
        for url in PAGES:
            assert other.get(url).status_code == 403, (username, url)
        assert other.post("/admin/units", {"code": "1", "name": "x", "kind": "grid",
                                           "parent_code": YINGCUI}).status_code == 403
    me = admin(city)
    assert 'href="/admin"' in text(me.get("/cases"))
    for url in PAGES:
        assert me.get(url).status_code == 200, url
    categories = text(me.get("/admin/categories"))         # the catalogue, read only
    assert 'data-code="200115"' in categories and "乱倒乱排污水废水" in categories
    # with the standards and what the current version's tables decide for each class
    garbage = re.search(r'<tr data-code="200102">(.*?)</tr>', categories, re.S)[1]
    assert "道路、广场、绿地等公共区域有暴露垃圾" in garbage and "垃圾清除干净" in garbage and ">B 重要<" in garbage
    assert re.sub(r"<[^>]+>", "", re.search(r'class="limits">(.*?)</td>', garbage)[1]) == "A 1，B 1，C 1"
    assert '<strong data-own="B">' in garbage and 'data-own="A"' not in garbage and "案件所在区" in garbage
    lamp = re.search(r'<tr data-code="100118">(.*?)</tr>', categories, re.S)[1]
    assert "市城市照明中心" in lamp and "A 1，B 2，C 4" in lamp and "data-own" not in lamp


def test_units_are_added_renamed_moved_and_given_a_centre_recorded_and_seen_by_every_process(city, db_url):
    me = admin(city)
    other_process = City(make_app(db_url, CITYGRID_CALENDAR_DIR=str(city.calendar_dir)))
    other = Browser(other_process.app).login("dispatcher")   # its tree is loaded now

    refused = me.post("/admin/units", {"code": "35020301100X!", "name": "", "kind": "grid", "parent_code": JIALIAN,
                                       "lng": "118.1"})
    assert refused.status_code == 422
    assert field_error(refused, "code") == "单位代码为 1–20 位数字或字母"
    assert field_error(refused, "name") == "必填"
    assert field_error(refused, "lat") == "经度和纬度须同时填写（或都不填）"
    wrong_parent = me.post("/admin/units", {"code": "35020301100399", "name": "新网格", "kind": "grid",
                                            "parent_code": JIALIAN})
    assert wrong_parent.status_code == 422
    assert "不能作为该类单位的上级" in field_error(wrong_parent, "parent_code")
    taken = me.post("/admin/units", {"code": YINGCUI, "name": "重复", "kind": "community", "parent_code": JIALIAN})
    assert (taken.status_code, field_error(taken, "code")) == (422, f"单位代码 {YINGCUI} 已被使用")

    added = me.post("/admin/units", {"code": "350203011009", "name": "新社区", "kind": "community",
                                     "parent_code": JIALIAN, "lng": "118.13", "lat": "24.49"})
    assert added.status_code == 303 and added.headers["Location"].endswith("/admin/units/350203011009")
    assert me.post("/admin/units/350203011009/rename", {"name": "莲花社区"}).status_code == 303
    blank = me.post("/admin/units/350203011009/centre", {"lng": "", "lat": "95"})
    assert (blank.status_code, field_error(blank, "lat")) == (422, "须在 -90 到 90 之间")
    assert me.post("/admin/units/350203011009/move", {"parent_code": "350203008"}).status_code == 303
    page = text(me.get("/admin/units/350203011009"))
    assert "莲花社区" in page and "筼筜街道" in page

    # the other process follows at its next request: its copy, loaded before the unit existed ...
    assert not other_process.directory.exists("350203011009")
    other.get("/cases")
    assert other_process.directory.name("350203011009") == "莲花社区"  # ... and after its next request
    assert other_process.directory.parent("350203011009") == "350203008"
    other_process.app.extensions["citygrid.db"].dispose()

    assert [d["after"]["name"] for _, d in system_events(city, "unit_renamed")] == ["莲花社区"]
    (actor, moved), = system_events(city, "unit_moved")
    assert (actor, moved["subject"], moved["before"]["parent_code"], moved["after"]["parent_code"]) == \
        ("admin", "unit:350203011009", JIALIAN, "350203008")
    assert city.work(lambda s: events.verify_stream(s, events.SYSTEM)).ok


def test_a_unit_with_open_cases_is_not_deactivated_and_a_deactivated_one_takes_no_reports(city):
    me = admin(city)
    city.report()                                      # 盈翠社区第1网格: one open case
    busy = me.post(f"/admin/units/{YINGCUI}/deactivate")
    assert busy.status_code == 409
    assert "仍有 1 件在办案件" in text(busy)
    assert f'href="/cases?unit={YINGCUI}&amp;status=open"' in text(busy)
    assert me.post(f"/admin/units/{YINGCUI}/move", {"parent_code": "350203008"}).status_code == 409
    users_left = me.post(f"/admin/units/{HUALIN}01/deactivate")           # no cases, but its grid worker
    assert users_left.status_code == 409 and "1 个在用的用户账号" in text(users_left)
    assert me.post(f"/admin/users/grid-{HUALIN}01/deactivate").status_code == 303
    assert me.post(f"/admin/units/{HUALIN}01/deactivate").status_code == 303
    (_, off), = system_events(city, "unit_deactivated")
    assert (off["before"]["active"], off["after"]["active"]) == (True, False)
    intake = Browser(city.app).login("intake")
    refused = intake.post("/report", {"category": "200115", "description": "污水", "grid": f"{HUALIN}01"})
    assert (refused.status_code, field_error(refused, "grid")) == (422, "网格 华林社区第1网格 已停用")
    assert f'value="{HUALIN}01"' not in text(intake.get("/report"))
    assert me.post(f"/admin/units/{HUALIN}01/reactivate").status_code == 303


def test_users_are_added_changed_reset_deactivated_and_their_tokens_revoked(city):
    me = admin(city)
    bad = me.post("/admin/users", {"username": "new officer", "display_name": "", "role": "grid",
                                   "unit_code": YINGCUI, "password": "short", "confirm": "other"})
    assert bad.status_code == 422
    assert field_error(bad, "username").startswith("用户名为")
    assert field_error(bad, "password") == "长度须在 8 到 200 个字符之间"
    misplaced = me.post("/admin/users", {"username": "officer-new", "display_name": "新同事", "role": "grid",
                                         "unit_code": YINGCUI, "password": "secret-123", "confirm": "secret-123"})
    assert misplaced.status_code == 422 and field_error(misplaced, "unit_code").startswith("该角色不能设在盈翠社区")
    assert 'value="officer-new"' in text(misplaced)                  # what was typed is kept
    ok = me.post("/admin/users", {"username": "officer-new", "display_name": "新同事", "role": "officer",
                                  "unit_code": YINGCUI, "password": "secret-123", "confirm": "secret-123"})
    assert ok.status_code == 303
    Browser(city.app).login("officer-new", "secret-123")

    assert me.post("/admin/users/officer-new/change", {"display_name": "新同事", "role": "officer",
                                                       "unit_code": JIALIAN}).status_code == 303
    mismatch = me.post("/admin/users/officer-new/password", {"password": "another-pass", "confirm": "x"})
    assert (mismatch.status_code, field_error(mismatch, "confirm")) == (422, "两次输入的密码不一致")
    assert me.post("/admin/users/officer-new/password", {"password": "another-pass",
                                                         "confirm": "another-pass"}).status_code == 303
    Browser(city.app).login("officer-new", "another-pass")

    first, second = (city.work(lambda s: tokens.issue_user_token(s, username="officer-new", at=city.runtime.clock.now()))
                     for _ in range(2))
    page = text(me.get("/admin/users/officer-new"))
    assert page.count("data-token=") == 2
    assert me.post("/admin/users/officer-new/tokens/revoke", {"token": str(first[0].id)}).status_code == 303
    live = lambda t: city.work(lambda s: tokens.authenticate(s, t, at=city.runtime.clock.now())) is not None  # noqa: E731
    assert (live(first[1]), live(second[1])) == (False, True)
    own = me.post("/admin/users/admin/deactivate")
    assert (own.status_code, field_error(own, "username")) == (422, "不能停用自己的账号")
    assert me.post("/admin/users/officer-new/deactivate").status_code == 303
    assert not live(second[1])
    gone = Browser(city.app)
    gone.get("/login")
    assert gone.post("/login", {"username": "officer-new", "password": "another-pass"}).status_code != 302
    kinds = [k for k in ("user_added", "user_changed", "password_reset", "tokens_revoked", "user_deactivated")
             if system_events(city, k)]
    assert len(kinds) == 5
    (_, changed), = system_events(city, "user_changed")
    assert (changed["before"]["unit_code"], changed["after"]["unit_code"]) == (YINGCUI, JIALIAN)
    assert "password" not in str(system_events(city, "password_reset"))


def test_clients_and_cameras(city):
    me = admin(city)
    bad = me.post("/admin/access/clients", {"name": "hotline xm", "channel": "fax"})
    assert bad.status_code == 422
    assert field_error(bad, "channel").startswith("须为以下之一")
    added = me.post("/admin/access/clients", {"name": "hotline-xm", "channel": "hotline12345"})
    assert (added.status_code, added.headers["Cache-Control"]) == (200, "no-store")
    token = re.search(r'id="token-text">(cg_[^<]+)<', text(added))[1]
    caller = city.work(lambda s: tokens.authenticate(s, token, at=city.runtime.clock.now()))
    assert caller.client.name == "hotline-xm"
    assert token not in text(me.get("/admin/access"))                # shown that once only
    assert me.post("/admin/access/clients/hotline-xm/revoke").status_code == 303
    assert city.work(lambda s: tokens.authenticate(s, token, at=city.runtime.clock.now())) is None

    wrong = me.post("/admin/access/cameras", {"code": "cam-1", "name": "明发商业广场东门", "grid": YINGCUI,
                                              "lat": "24.49", "lng": "abc"})
    assert (wrong.status_code, field_error(wrong, "lng")) == (422, "须为数字")
    assert me.post("/admin/access/cameras", {"code": "cam-1", "name": "明发商业广场东门", "grid": f"{YINGCUI}01",
                                             "lat": "24.49", "lng": "118.12"}).status_code == 303
    assert me.post("/admin/access/cameras/cam-1/deactivate").status_code == 303
    assert 'data-code="cam-1"' in text(me.get("/admin/access"))
    assert [k for k in ("client_added", "client_revoked", "camera_added", "camera_deactivated")
            if system_events(city, k)] == ["client_added", "client_revoked", "camera_added", "camera_deactivated"]


def upload(browser, content, name="2027.toml"):
    import io
    return browser.post("/admin/calendar/upload", {"file": (io.BytesIO(content.encode()), name)},
                        content_type="multipart/form-data")


def test_next_years_calendar_is_checked_installed_and_the_provisional_deadlines_recomputed(city):
    city.set_clock("2026-12-31 16:00")
    case_no = city.report()
    city.set_clock("2026-12-31 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="C")
    assert city.show(case_no)["due_provisional"] is True
    me = admin(city)
    page = text(me.get("/admin/calendar"))
    assert re.search(r'data-year="2027" data-official="no">.*?1 件', page, re.S)

    for content, message in [
        ("year = 2027\n", "文件内容有误"),
        (YEAR_2027.replace('number = "测试〔2026〕1号"', 'number = ""'), "须注明来源通知"),
        (YEAR_2027.replace("last = 2027-01-04", "last = 2027-01-04\ndays_ = 1"), "文件内容有误"),
        (YEAR_2027.replace("makeup_workdays = [2027-01-10]", "makeup_workdays = [2026-12-27]"), "不在 2027 年内"),
        (YEAR_2027.replace("makeup_workdays = [2027-01-10]", "makeup_workdays = [2027-01-03]"), "already listed"),
        ("year = 2026\n", "2026 年已有正式数据"),
        ("not toml at all", "不是有效的 TOML"),
    ]:
        refused = upload(me, content)
        assert refused.status_code == 422, content
        assert message in field_error(refused, "file"), (content, field_error(refused, "file"))
    assert not (city.calendar_dir / "2027.toml").exists()

    done = upload(me, YEAR_2027)
    assert done.status_code == 200
    assert "重算 1 件，期限变动 1 件" in text(done)
    assert (city.calendar_dir / "2027.toml").exists()
    shown = city.show(case_no)
    assert (shown["due_at"], shown["due_provisional"]) == ("2027-01-08T16:10:00+08:00", False)
    assert re.search(r'data-year="2027" data-official="yes">.*?测试通知', text(me.get("/admin/calendar")), re.S)
    (_, loaded), = system_events(city, "calendar_year_loaded")
    (_, recomputed), = system_events(city, "deadlines_recomputed")
    assert loaded["subject"] == "calendar:2027" and recomputed["cases"][0]["case_no"] == case_no
    assert city.work(lambda s: events.verify_stream(s, events.SYSTEM)).ok



def test_a_clients_results_back_are_set_and_followed_on_the_access_page(city):
    """结果回传 on 接入系统: the callback address (a new signing secret shown that once), the latest
    messages with their delivery state, a dead one sent again."""
    import dataclasses
    from tests.handlers.callbacks.test_callbacks import client_report, deliver
    from tests.helpers import free_port
    me = admin(city)
    me.post("/admin/access/clients", {"name": "hotline-xm", "channel": "hotline12345"})
    bad = me.post("/admin/access/clients/hotline-xm/callback", {"url": "ftp://x"})
    assert bad.status_code == 422 and "http://" in field_error(bad, "url")
    nobody = f"http://127.0.0.1:{free_port()}/results"            # nothing listens there
    set_ = me.post("/admin/access/clients/hotline-xm/callback", {"url": nobody})
    assert (set_.status_code, set_.headers["Cache-Control"]) == (200, "no-store")
    secret = re.search(r'id="token-text">([^<]+)<', text(set_))[1]
    page = text(me.get("/admin/access"))
    assert nobody in page and secret not in page                       # shown that once only

    city.set_clock("2026-03-02 16:00")
    case_no = client_report(city, "hotline-xm", "12345-0001")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="B")    # 立案: one message
    row = re.search(r'<tr data-message="(\d+)" data-status="pending">(.*?)</tr>', text(me.get("/admin/access")), re.S)
    assert row and case_no in row[2] and "待发送" in row[2]
    policy = city.app.extensions["citygrid.notify_policy"]
    city.app.extensions["citygrid.notify_policy"] = dataclasses.replace(policy, max_attempts=1)

    class Nobody:            # deliver() tells a receiver the clock's instant; nothing receives here
        now = None
    deliver(city, Nobody())
    dead = re.search(rf'<tr data-message="{row[1]}" data-status="dead">(.*?)</tr>', text(me.get("/admin/access")), re.S)
    assert dead and "失败（已停止重试）" in dead[1] and "重新发送" in dead[1]
    assert me.post(f"/admin/access/clients/hotline-xm/callbacks/{row[1]}/retry").status_code == 303
    assert f'<tr data-message="{row[1]}" data-status="pending">' in text(me.get("/admin/access"))
    assert [e[1]["client"] for e in system_events(city, "callback_set")] == ["hotline-xm"]
