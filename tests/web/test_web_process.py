"""Process owners' pages with Flask's test client (SQLite and PostgreSQL): validating and deploying
from the modeller, uploads, hostile XML and sandbox escapes refused on their elements, the version
list and diff, file downloads, who may do what, and migrating running cases from the page."""
import json
from io import BytesIO

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from engine import deployments
from handlers.process import deploy, versions
from tests import deployment_files as files
from tests.web.conftest import text


def modeller(browse, username="owner"):
    browser = browse(username)
    browser.get("/process/modeller")          # a page with this session's CSRF token
    return browser


def post_json(browser, url, data):
    return browser.client.post(url, data=json.dumps(data), content_type="application/json",
                               headers={"X-CSRFToken": browser.token, "Accept": "application/json"})


def as_text(found):
    return {name: data.decode() for name, data in found.items()}


def version_count(city):
    return city.work(lambda s: len(versions.list_versions(s, "case_handling")))


def test_owner_deploys_a_changed_table_and_new_b_cases_get_three_working_days(city, browse):
    city.set_clock("2026-03-02 09:00")
    running = city.report()
    city.complete(running, "accept_report", "intake", decision="file", urgency="B")
    owner = modeller(browse)
    page = text(owner.get("/process/modeller"))
    assert 'id="modeller"' in page and "build/modeller.js" in page and "properties-panel.css" in page
    opened = json.loads(owner.get("/process/versions/1.json").data)
    assert sorted(opened["files"]) == ["case_handling.bpmn", "case_routing.dmn", "default_unit.dmn", "evaluation_grades.dmn",
                             "evaluation_weights.dmn", "penalty_points.dmn", "time_limit.dmn"]

    checked = post_json(owner, "/process/validate", {"files": as_text(files.b_limit(3))})
    assert checked.status_code == 200 and checked.json == {"ok": True, "problems": []}
    assert version_count(city) == 1                                  # validating stores nothing

    deployed = post_json(owner, "/process/deploy", {"files": as_text(files.b_limit(3)), "note": "B 类时限改为 3 个工作日"})
    assert deployed.status_code == 201, deployed.json
    version = deployed.json["version"]
    assert version["id"] == 3 and version["created_by"] == "owner" and version["note"] == "B 类时限改为 3 个工作日"
    assert version["created_at"] == "2026-03-02T09:00:00+08:00" and len(version["hash"]) == 64
    again = post_json(owner, "/process/deploy", {"files": as_text(files.b_limit(3)), "note": "again"})
    assert again.status_code == 200 and again.json["created"] is False and again.json["version"]["id"] == 3

    fresh = city.report(description="新版本上的案件")
    city.complete(fresh, "accept_report", "intake", decision="file", urgency="B")
    assert city.show(fresh)["due_at"] == "2026-03-05T09:00:00+08:00"      # 3 working days
    assert city.show(running)["due_at"] == "2026-03-04T09:00:00+08:00"    # still 2 on version 1

    listing = text(owner.get("/process/versions"))
    assert 'data-version="3"' in listing and "B 类时限改为 3 个工作日" in listing and version["hash"][:12] in listing
    # who deployed and why, in words: the owner's name, and for `db upgrade`'s versions 系统 / 随系统发布
    assert "流程管理员" in listing and "随系统发布：case_handling.bpmn" in listing
    assert ">system<" not in listing and "shipped " not in listing
    rows = {r.deployment.id: r.running for r in city.work(versions.list_versions)}
    assert rows == {1: 1, 3: 1, 2: 0}      # 2: the emergency process's first version
    diff = text(owner.get("/process/versions/diff?from=1&to=3"))
    assert 'data-decision="time_limit"' in diff and "处置时限" in diff and "time_limit.dmn" in diff
    assert "决策任务「时限」" in diff and 'class="cell-changed"><code>3</code>' in diff
    assert 'data-decision="penalty_points"' not in diff                   # unchanged tables are not listed


def test_problems_are_located_on_their_elements_and_nothing_is_deployed(city, browse):
    owner = modeller(browse)
    timer = post_json(owner, "/process/deploy", {"files": as_text(files.unquoted_timer()), "note": "x"})
    assert timer.status_code == 422
    [problem] = timer.json["problems"]
    assert problem["element"] == "warning_timer" and problem["name"] == "黄灯预警"
    assert problem["file"] == "case_handling.bpmn" and isinstance(problem["line"], int) and problem["line"] > 1
    assert '"P2D"' in problem["message"] and "计时器" in problem["message"]

    form = post_json(owner, "/process/validate", {"files": as_text(files.unknown_form())})
    assert form.status_code == 422
    assert [(p["element"], "no_such_form" in p["message"]) for p in form.json["problems"]] == [("verify_report", True)]

    table = files.shipped()
    table["time_limit.dmn"] = table["time_limit.dmn"].replace(b'"C"', b'"D"')
    refused = post_json(owner, "/process/validate", {"files": as_text(table)})
    [problem] = refused.json["problems"]
    assert (problem["element"], problem["decision"], problem["table_file"]) == ("time_limit", "time_limit", "time_limit.dmn")
    assert "'C'" in problem["message"]
    assert version_count(city) == 1


@pytest.mark.parametrize("kind", sorted(files.ESCAPES))
def test_scripts_that_try_to_escape_the_sandbox_are_refused_at_validation(city, browse, kind):
    owner = modeller(browse)
    refused = post_json(owner, "/process/deploy", {"files": as_text(files.script(files.ESCAPES[kind])), "note": "x"})
    assert refused.status_code == 422
    assert [p["element"] for p in refused.json["problems"]] == ["record_on_spot"]
    assert refused.json["problems"][0]["message"].startswith("脚本：不允许")
    assert version_count(city) == 1


def test_hostile_xml_and_oversized_files_are_refused_before_anything_is_read(city, browse):
    owner = modeller(browse)
    for hostile in (files.XXE, files.LAUGHS):
        refused = post_json(owner, "/process/deploy", {"files": {"case_handling.bpmn": hostile.decode()}, "note": "x"})
        assert refused.status_code == 422
        [problem] = refused.json["problems"]
        # refused unexpanded: the DOCTYPE itself, or (libxml2's own guard) the entity amplification
        assert "DOCTYPE" in problem["message"] or "amplification" in problem["message"], problem
        assert problem["file"] == "case_handling.bpmn" and "root:" not in json.dumps(refused.json)
    big = files.oversized(deploy.MAX_FILE_BYTES)
    # (encoded here: the test client spools a large multipart body to a file it never closes)
    boundary, body = encode_multipart({"note": "big", "csrf_token": owner.token,
                                       "files": FileStorage(BytesIO(big), "case_handling.bpmn")})
    upload = owner.client.post("/process/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert upload.status_code == 413 and "KiB 的上限" in text(upload)
    named = owner.post("/process/upload", {"files": [(BytesIO(b"<x/>"), "../../etc/evil.sh")]},
                       content_type="multipart/form-data")
    assert named.status_code == 422 and "evil.sh" in text(named)
    assert version_count(city) == 1


def test_an_upload_replaces_same_named_files_and_keeps_the_others(city, browse):
    owner = modeller(browse)
    table = files.b_limit(3)["time_limit.dmn"]
    response = owner.post("/process/upload", {"note": "从 Camunda Modeler 导入",
                                              "files": [(BytesIO(table), "time_limit.dmn")]},
                          content_type="multipart/form-data")
    assert response.status_code == 302 and response.location.endswith("/process/versions")
    assert "已部署为版本 3" in text(owner.get("/process/versions"))
    new = city.work(lambda s: versions.get(s, 3))
    assert sorted(new.files) == sorted(files.shipped()) and new.files["time_limit.dmn"] == table.decode()
    download = owner.get("/process/versions/3/files/time_limit.dmn")
    assert download.status_code == 200 and download.mimetype == "application/xml"
    assert download.data == table and "attachment" in download.headers["Content-Disposition"]
    assert "time_limit.v3.dmn" in download.headers["Content-Disposition"]
    assert owner.get("/process/versions/3/files/nothing.dmn").status_code == 404
    broken = owner.post("/process/upload", {"files": [(BytesIO(files.unquoted_timer()["case_handling.bpmn"]),
                                                       "case_handling.bpmn")]}, content_type="multipart/form-data")
    assert broken.status_code == 422 and 'data-element="warning_timer"' in text(broken)


def test_only_owners_and_admins_change_processes_auditors_read_them(city, browse):
    for username in ("intake", "auditor", "grid-35020301100301", "shiftlead"):
        browser = browse(username)
        browser.get("/cases")
        assert post_json(browser, "/process/deploy", {"files": as_text(files.b_limit(3))}).status_code == 403
        assert post_json(browser, "/process/validate", {"files": as_text(files.b_limit(3))}).status_code == 403
        assert browser.get("/process/modeller").status_code == 403
        assert browser.get("/process/migrate").status_code == 403
    auditor = browse("auditor")
    assert auditor.get("/process/versions").status_code == 200
    assert auditor.get("/process/versions/1/files/time_limit.dmn").status_code == 200
    assert browse("intake").get("/process/versions").status_code == 403
    assert post_json(browse("admin"), "/process/validate", {"files": as_text(files.shipped())}).status_code == 200
    assert city.app.test_client().post("/process/deploy", json={"files": {}}).status_code in (302, 400)
    owner = modeller(browse)
    forged = owner.client.post("/process/deploy", json={"files": as_text(files.b_limit(3)), "note": "x"})
    assert forged.status_code == 400                      # no CSRF token: refused before anything is read
    assert version_count(city) == 1


def test_migration_page_dry_run_then_run(city, browse):
    city.set_clock("2026-03-02 09:00")
    filed = city.report()
    city.complete(filed, "accept_report", "intake", decision="file", urgency="B")
    waiting = city.report(description="尚未受理")
    owner = modeller(browse)
    assert post_json(owner, "/process/deploy", {"files": as_text(files.b_limit(3)), "note": "B 3"}).status_code == 201
    page = text(owner.get("/process/migrate?from=1&to=3"))
    assert f'value="{filed}"' in page and f'value="{waiting}"' in page
    base = {"from": "1", "to": "3", "scope": "all"}
    plan = owner.post("/process/migrate", {**base, "action": "check"})
    assert plan.status_code == 200
    shown = text(plan)
    assert "1 件可以迁移，1 件不能迁移" in shown and "「时限」（time_limit）已完成，在目标版本中已被修改" in shown
    assert city.show(waiting)["status"] == "accepting"
    assert city.work(lambda s: [r.running for r in versions.list_versions(s, "case_handling")]) == [0, 2]   # the dry run moved nothing

    run = owner.post("/process/migrate", {"from": "1", "to": "3", "case": [filed, waiting], "action": "run"})
    result = text(run)
    assert "迁移完成：成功 1 件，失败 1 件" in result and "已从版本 1 迁移到版本 3" in result
    assert city.work(lambda s: [r.running for r in versions.list_versions(s, "case_handling")]) == [1, 1]
    history = text(owner.get(f"/cases/{waiting}"))
    assert "迁移流程版本" in history and "版本 1 → 版本 3" in history
    city.complete(waiting, "accept_report", "intake", decision="file", urgency="B")
    assert city.show(waiting)["due_at"] == "2026-03-05T09:00:00+08:00"
    assert owner.post("/process/migrate", {"from": "1", "to": "2", "action": "check"}).status_code == 422


def test_an_owner_makes_an_earlier_version_current_from_the_versions_page(city, browse):
    from engine import events
    from tests.web.test_web_tasks import open_form
    city.set_clock("2026-03-02 16:05")
    city.work(lambda s: deployments.deploy(s, city.runtime, files=files.b_limit(3), process_id="case_handling",
                                           actor="owner"))
    owner = browse("owner")
    page = text(owner.get("/process/versions"))
    assert page.count("设为当前版本</button>") == 1 and 'action="/process/versions/1/current"' in page
    assert "设为当前版本</button>" not in text(browse("auditor").get("/process/versions"))
    assert browse("auditor").post("/process/versions/1/current").status_code == 403
    done = owner.post("/process/versions/1/current", follow_redirects=True)
    assert "已将版本 1 设为当前版本（原为版本 3）" in text(done)
    assert 'action="/process/versions/3/current"' in text(done)
    [event] = [e for e in city.work(lambda s: events.get_stream(s, events.SYSTEM)) if e.kind == "made_current"]
    assert (event.actor, event.deployment_id, event.data["from"]) == ("owner", 1, 3)
    # new cases start on version 1 again: the accept form's hint says its table's B 2 days
    case_no = city.report()
    _, form = open_form(browse("intake"), city, case_no, "accept_report")
    assert "立案时必填：A 1个工作日，B 2个工作日，C 4个工作日" in text(form)
    # uploading version 3's files again says what happened and where to go back
    upload = owner.post("/process/upload", data={"files": [(BytesIO(data), name) for name, data in
                                                           files.b_limit(3).items()], "only_given": "1"},
                        content_type="multipart/form-data", follow_redirects=True)
    assert "内容与版本 3 完全相同" in text(upload) and "设为当前版本" in text(upload)
