"""Which notifications a case's life gives, to whom, and only once: cases played through the real
services and the shipped BPMN in simulated time (SQLite and PostgreSQL); each kind is created once
per event or task and recipient, reaches the active users of the unit and role concerned and no one
else, and a second sweep, a replay (`audit verify`) or a migration adds none."""
from sqlalchemy import func, select

from engine import deployments
from handlers.notifications import service
from handlers.notifications.models import Notification, OutboxMessage
from handlers.org.models import User
from handlers.org.service import create_user
from handlers.process import migration
from tests import deployment_files

CENTER, SIMING, JIALIAN, YINGCUI = "350200", "350203", "350203011", "350203011003"
GRID = "35020301100301"
GRID_USER = f"grid-{GRID}"


def told(city, case_no=None):
    """[(username, kind)] of every notification (of a case), in the order they were written."""
    def q(session):
        query = select(User.username, Notification.kind).join(User, User.id == Notification.user_id)
        if case_no:
            query = query.where(Notification.case_no == case_no)
        return [tuple(r) for r in session.execute(query.order_by(Notification.id))]
    return city.work(q)


def count(city, model=Notification):
    return city.work(lambda s: s.scalar(select(func.count()).select_from(model)))


def new_since(city, mark, case_no=None):
    return told(city, case_no)[mark:]


def texts(city, username):
    def q(session):
        user = session.scalar(select(User).where(User.username == username))
        return [(i.notification.kind, i.notification.text, i.link) for i in service.page_for(session, user).items]
    return city.work(q)


def file_case(city, urgency="A", **report):
    city.set_clock("2026-03-02 16:05")
    case_no = city.report(**report)
    city.set_clock("2026-03-02 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency=urgency)
    return case_no


def test_a_case_tells_each_unit_and_role_once_what_needs_them(city):
    city.set_clock("2026-03-02 16:05")
    case_no = city.report()
    assert told(city) == [("intake", "new_task")]                       # 受理审核 for the intake operator

    city.set_clock("2026-03-02 16:10")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="A")     # due 03-03 16:10
    city.assign_down(case_no, SIMING, JIALIAN, YINGCUI)
    mark = len(told(city))
    city.complete(case_no, "dispatch", f"officer-{YINGCUI}", action="return", reason="不属于本社区")
    # The street gets the case back: one 退回 (for its new dispatch task), no 新待办 besides.
    assert new_since(city, mark) == [(f"officer-{JIALIAN}", "returned")]
    kind, text, link = texts(city, f"officer-{JIALIAN}")[0]
    assert text == f"退回：案件 {case_no} 被盈翠社区退回，请重新派遣。理由：不属于本社区"
    assert link == f"/tasks/{city.task(case_no, 'dispatch')['id']}"
    city.complete(case_no, "dispatch", f"officer-{JIALIAN}", action="assign", unit=YINGCUI)
    city.complete(case_no, "dispatch", f"officer-{YINGCUI}", action="handle")

    # 14:46 the yellow light, 16:10 overdue: the community holding it is told; the shift lead gets 督办.
    mark = len(told(city))
    city.set_clock("2026-03-03 14:46")
    assert city.sweep().fired == 1
    assert new_since(city, mark) == [(f"officer-{YINGCUI}", "warning")]
    assert texts(city, f"officer-{YINGCUI}")[0][1:] == (
        f"黄灯预警：案件 {case_no} 将于 03-03 16:10 到期，请抓紧处置", f"/cases/{case_no}")
    city.set_clock("2026-03-03 16:10")
    city.sweep()
    assert new_since(city, mark + 1) == [(f"officer-{YINGCUI}", "overdue"), ("shiftlead", "supervision")]
    assert texts(city, f"officer-{YINGCUI}")[0][1] == (
        f"超期：案件 {case_no} 已超过处置时限（03-03 16:10），盈翠社区被扣 1 分，请立即处置")
    assert texts(city, "shiftlead")[0][1] == f"督办：案件 {case_no} 已超期，请督促盈翠社区处置"
    assert city.sweep().fired == 0
    city.set_clock("2026-03-04 16:10")                                    # a further working day overdue
    city.sweep()
    assert len(told(city)) == mark + 3                                   # a daily penalty tells no one again

    # Handled, reviewed up, checked on site and failed: the handler reworks (核查不通过, not 新待办).
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="已清理")
    city.review_up(case_no, JIALIAN, SIMING, CENTER)
    mark = len(told(city))
    city.complete(case_no, "check_result", GRID_USER, passed=False, note="仍有污水")
    assert new_since(city, mark) == [(f"officer-{YINGCUI}", "check_failed")]
    assert texts(city, f"officer-{YINGCUI}")[0][1] == f"核查不通过：案件 {case_no} 需返工。核查说明：仍有污水"

    assert told(city) == [
        ("intake", "new_task"), ("dispatcher", "new_task"), (f"officer-{SIMING}", "new_task"),
        (f"officer-{JIALIAN}", "new_task"), (f"officer-{YINGCUI}", "new_task"), (f"officer-{JIALIAN}", "returned"),
        (f"officer-{YINGCUI}", "new_task"),                               # the dispatch after the return
        (f"officer-{YINGCUI}", "new_task"),                               # 处置
        (f"officer-{YINGCUI}", "warning"), (f"officer-{YINGCUI}", "overdue"), ("shiftlead", "supervision"),
        (f"officer-{JIALIAN}", "new_task"), (f"officer-{SIMING}", "new_task"), ("dispatcher", "new_task"),  # 审核
        (GRID_USER, "new_task"),                                          # 核查
        (f"officer-{YINGCUI}", "check_failed"),
    ]
    # Outbound by default: 超期 and 督办 only, one message each.
    assert city.work(lambda s: sorted((m.kind, m.recipient) for m in s.scalars(select(OutboxMessage)))) == [
        ("overdue", f"officer-{YINGCUI}"), ("supervision", "shiftlead")]

    # A replay of every case (audit verify) and further sweeps write none.
    before = count(city), count(city, OutboxMessage)
    result = city.app.test_cli_runner().invoke(args=["audit", "verify", "--all"])
    assert result.exit_code == 0, result.output
    city.sweep()
    assert (count(city), count(city, OutboxMessage)) == before


def test_seen_by_the_active_users_of_the_unit_and_role_only(city):
    def add_officers(session):
        create_user(session, username="yingcui-2", role="officer", unit_code=YINGCUI, password="x")
        create_user(session, username="yingcui-gone", role="officer", unit_code=YINGCUI, password="x")
        session.flush()
        session.scalar(select(User).where(User.username == "yingcui-gone")).active = False
    city.work(add_officers)
    case_no = file_case(city)
    city.assign_down(case_no, SIMING, JIALIAN, YINGCUI)
    assert told(city, case_no)[-2:] == [(f"officer-{YINGCUI}", "new_task"), ("yingcui-2", "new_task")]

    def pages(session):
        return {u.username: [i.notification.case_no for i in service.page_for(session, u).items]
                for u in session.scalars(select(User).order_by(User.id))}
    seen = city.work(pages)
    assert seen["yingcui-2"] == [case_no] and seen[f"officer-{YINGCUI}"] == [case_no]
    assert seen["yingcui-gone"] == []
    # The district's supervisor, other units' officers, the grid workers, owners and auditors: nothing.
    told_users = {"intake", "dispatcher", f"officer-{SIMING}", f"officer-{JIALIAN}", f"officer-{YINGCUI}", "yingcui-2"}
    assert {name for name, cases in seen.items() if cases} == told_users
    assert "supervisor-350203" in seen and "officer-350206" in seen and GRID_USER in seen


def test_a_community_check_reaches_every_grid_worker_of_the_community(city):
    """A hotline report without a grid: its check is the community's, which its grid workers take."""
    city.set_clock("2026-03-02 09:00")
    case_no = city.report(username="intake", channel="hotline12345", grid=None, community=YINGCUI,
                          external_ref="12345-1")
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="C")
    city.dispatch_down(case_no, SIMING, JIALIAN, YINGCUI)
    city.complete(case_no, "handle", f"officer-{YINGCUI}", action="done", result="已处理")
    city.review_up(case_no, JIALIAN, SIMING, CENTER)
    grid_users = city.work(lambda s: sorted(u.username for u in s.scalars(
        select(User).where(User.role == "grid", User.unit_code.like(f"{YINGCUI}%")))))
    assert len(grid_users) == 2
    assert sorted(name for name, kind in told(city, case_no)[-2:]) == grid_users


def test_a_handler_that_returns_the_case_tells_the_unit_above(city):
    case_no = file_case(city, urgency="B")
    city.dispatch_down(case_no, SIMING, JIALIAN)
    mark = len(told(city))
    city.complete(case_no, "handle", f"officer-{JIALIAN}", action="return", reason="应由市政园林局处理")
    assert new_since(city, mark) == [(f"officer-{SIMING}", "returned")]
    assert texts(city, f"officer-{SIMING}")[0][1] == (
        f"退回：案件 {case_no} 被嘉莲街道退回，请重新派遣。理由：应由市政园林局处理")


def test_a_yellow_light_while_an_extension_waits_reaches_the_holding_units_officers(city):
    """No open task at the unit holding the case (the shift lead has its extension request): the
    unit's users who work tasks are told, not its district supervisor."""
    case_no = file_case(city)
    city.dispatch_down(case_no, SIMING)
    city.complete(case_no, "handle", f"officer-{SIMING}", action="extend", working_days=2, reason="需协调市政")
    assert city.show(case_no)["holder_unit"] == SIMING
    assert [t["step"] for t in city.open_tasks(case_no)] == ["approve_extension"]
    mark = len(told(city))
    city.set_clock("2026-03-03 14:46")
    city.sweep()
    assert new_since(city, mark) == [(f"officer-{SIMING}", "warning")]


def test_a_supervision_reaches_the_holding_unit_as_supervision(city):
    """The shipped diagram's 督办 goes on to the unit holding the case (its `supervise_reply` step):
    after the overdue timer through the shift lead (here while the center still holds it: its
    dispatcher), and by hand from a district supervisor (the street holding it by then)."""
    case_no = file_case(city)
    city.set_clock("2026-03-03 16:10")
    city.sweep()
    mark = len(told(city))
    city.complete(case_no, "supervise", "shiftlead", comment="请尽快派遣")
    assert new_since(city, mark) == [("dispatcher", "supervision")]
    assert (city.task(case_no, "supervise_reply")["role"], city.task(case_no, "supervise_reply")["unit"]) == (
        "dispatcher", CENTER)
    assert texts(city, "dispatcher")[0][1] == f"督办：案件 {case_no} 被督办，请尽快处置并回复"
    city.assign_down(case_no, SIMING, JIALIAN)
    mark = len(told(city))
    city.supervise(case_no, "supervisor-350203")
    assert new_since(city, mark) == [(f"officer-{JIALIAN}", "supervision")]


def test_a_migration_to_another_version_tells_no_one_again(city):
    """The waiting task moves with the case (its accept step changed in the target): still told once."""
    city.set_clock("2026-03-02 09:00")
    case_no = city.report()
    assert told(city) == [("intake", "new_task")]
    changed = deployment_files.bpmn_replaced('name="unit" value="center"', 'name="unit" value="center or center"')
    target = city.work(lambda s: deployments.deploy(s, city.runtime, files=changed, process_id="case_handling",
                                                    actor="owner", note="受理审核单位表达式").id)
    moved = migration.migrate(city.db, city.runtime, case_nos=[case_no], target_id=target, actor="owner")
    assert moved[0].ok, moved
    assert city.show(case_no)["open_tasks"][0]["step"] == "accept_report"
    assert told(city) == [("intake", "new_task")]
    city.complete(case_no, "accept_report", "intake", decision="file", urgency="B")
    assert told(city) == [("intake", "new_task"), ("dispatcher", "new_task")]


def test_the_same_cause_written_again_adds_nothing_and_refuses_nothing(city):
    """The unique key on cause and recipient: writing a notice again (as a re-run would) skips the
    rows that exist, writes the missing ones, and queues no second message."""
    from handlers.cases import service as cases
    from handlers.notifications import notices, outbox
    case_no = file_case(city)
    policy = outbox.Policy(kinds=frozenset({"overdue"}))
    notice = notices.Notice(kind="overdue", source="event:test:1", text="超期：测试", holder=CENTER)

    def write(session):
        case = cases.get_by_no(session, case_no)
        return service.create(session, city.directory, policy, case=case, found=[notice], now=city.runtime.clock.now())
    assert city.work(write) == 1                             # the dispatcher holds the case at the center
    assert city.work(write) == 0
    city.work(lambda s: create_user(s, username="dispatcher-2", role="dispatcher", unit_code=CENTER, password="x"))
    assert city.work(write) == 1                             # only the new dispatcher's is missing
    assert [name for name, kind in told(city) if kind == "overdue"] == ["dispatcher", "dispatcher-2"]
    assert count(city, OutboxMessage) == 2
