"""Demo history: some hundreds of cases over the last months, played in simulated time through the
real services and engine, so that the evaluation, the dashboards and the map have realistic
differences to show: reports from grid workers (most with their phone's position near the grid) and
the hotline (mostly without: the map places those at their community's centre), accepts (a few
voided, merged or verified first), dispatches down the levels (a few wrong and returned), handling
by units that are punctual or late, extensions, reviews, failed checks and rework, 督办, and the
timer sweeps at every due instant on the way (so every warning and penalty falls when it would have).

The history runs on a clock of its own that ends at the app's now: the app's clock (real or
simulated) is not moved. Deterministic for a seed: the same seed on the same database gives the
same cases, numbers and outcomes."""
import heapq
import itertools
import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from engine import deployments, sweep, timers
from engine.models import Timer
from engine.runtime import WorkflowCache
from engine.scripting import FixedClock

from .. import localtime
from ..cases.forms import ReportSchema
from ..cases.models import Case
from ..cases.service import get_by_no, report
from ..cases import supervision
from ..cases.statuses import IN_HANDLING, is_ended
from ..org.service import get_user_by_username
from ..process import contract, decisions
from ..worklist.models import OpenTask
from ..worklist.service import complete

# How each district or department handles: its delay as a share of the time limit (below 1: on
# time on average; above: late), as the demo's story goes.
PACE = {"350203": 0.45, "350205": 0.7, "350206": 1.35, "350211": 0.9, "350212": 1.15, "350213": 0.6,
        "350200901": 0.8, "350200902": 1.2, "350200903": 0.5, "350200904": 1.0}
CATEGORIES = ("200115", "200509", "200301", "100102", "200506", "200601", "100401", "200201", "100302", "200110")
HOTLINE = ("hotline12345", "transfer110", "wechat")
CASES_PER_MONTH = 70
PRESSED_SHARE = 0.015   # of the steps of a case being handled, those after which someone presses it
# How often a report carries the reporter's position: a grid worker's phone nearly always; a WeChat
# report when the citizen shares it; a phone call to 12345 or a 110 transfer gives an address only.
POSITION_SHARE = {"grid": 0.9, "wechat": 0.5, "hotline12345": 0.0, "transfer110": 0.0}
NEAR = {"grid": 0.0015, "community": 0.003}    # degrees around the unit's centre (about 150 m / 300 m)


class HistoryClock(FixedClock):
    """A clock the history moves itself (the app's own clock stays where it is)."""

    def sync(self, session):
        """Nothing to read: this clock lives in the generator."""


@dataclass
class Summary:
    cases: int = 0
    steps: int = 0
    sweeps: int = 0
    timers: int = 0


class History:
    def __init__(self, db, runtime, directory, calendar, *, start, end, seed, per_month=CASES_PER_MONTH):
        self.db, self.directory, self.calendar = db, directory, calendar
        self.clock = HistoryClock(start)
        self.runtime = runtime.with_clock(self.clock)
        self.runtime.workflows = WorkflowCache(2000)
        self.end = end
        self.random = random.Random(seed)
        # 督办 (by hand, and the replies) from a stream of its own: the rest of the story is the same with or without it
        self.pressing = random.Random(seed + 1)
        # Where reporters stood: a stream of its own, so the story is the same with or without positions.
        self.places = random.Random(f"{seed}/places")
        self.queue, self.order = [], itertools.count()
        self.summary = Summary()
        self.grids = directory.of_kind("grid")
        self.verified, self.returned = set(), set()
        self.per_month = per_month

    # --- the calendar of the story ---

    def later(self, at, low, high):
        """An instant `low` to `high` working hours after `at`."""
        return self.calendar.add_working_hours(at, round(self.random.uniform(low, high), 2)).at

    def plan(self, at, action, *args):
        if at < self.end:
            heapq.heappush(self.queue, (at, next(self.order), action, args))

    def run(self, progress=None):
        while self.queue:
            at, _, action, args = heapq.heappop(self.queue)
            self.sweep_until(at)
            self.clock.instant = at
            action(*args)
            if progress:
                progress(self.clock.instant)
        self.sweep_until(self.end)
        self.clock.instant = self.end
        return self.summary

    def sweep_until(self, until):
        """Fire every timer due before `until`, each at its own instant (as the scheduler's sweep
        every few seconds would), one unit of work per instant."""
        while True:
            with self.db.reading() as session:
                due = session.scalar(select(func.min(Timer.due_at)))
            if due is None or due >= until:
                return
            self.clock.instant = max(due, self.clock.instant)
            with self.db.unit_of_work() as session:
                for instance_id in timers.due_instances(session, self.clock.instant):
                    self.summary.timers += sweep.fire(session, self.runtime, instance_id)
            self.summary.sweeps += 1

    def work(self, fn):
        with self.db.unit_of_work() as session:
            return fn(session)

    # --- reports ---

    def reports(self, start):
        """Plan the reports: about `per_month` a month, spread over office time."""
        hours = self.calendar.working_time_between(start, self.end) / timedelta(hours=1)
        count = int(self.per_month * hours / (21 * 7))
        for _ in range(count):
            self.plan(self.calendar.add_working_hours(start, round(self.random.uniform(0, hours), 2)).at, self.report)

    def report(self):
        by_grid = self.random.random() < 0.7
        grid = self.random.choice(self.grids)
        data = {"channel": "grid" if by_grid else self.random.choice(HOTLINE),
                "category": self.random.choice(CATEGORIES), "description": "演示案件：巡查发现的城市管理问题",
                "address": f"{self.directory.name(self.directory.parent(grid))}附近",
                "suggested_urgency": self.random.choice("ABC")}
        if by_grid:
            data["grid"] = grid
            data["fixed_on_spot"] = self.random.random() < 0.08
        else:
            data["community"] = self.directory.parent(grid)
            data["external_ref"] = f"demo-{next(self.order)}"
        if self.places.random() < POSITION_SHARE[data["channel"]]:
            data.update(self.position(grid if by_grid else data["community"]))
        username = f"grid-{grid}" if by_grid else "intake"

        def do(session):
            case, _ = report(session, self.runtime, self.directory, user=get_user_by_username(session, username),
                             data=ReportSchema().load(data))
            return case.case_no, case.status
        case_no, status = self.work(do)
        self.summary.cases += 1
        if not is_ended(status):
            self.plan(self.later(self.clock.now(), 0.2, 2), self.act, case_no)

    def position(self, unit):
        """{lat, lng} somewhere near the unit's centre (a grid's or a community's), or {} without one."""
        centre = self.directory.centre(unit)
        if centre is None:
            return {}
        spread = NEAR[self.directory.kind(unit)]
        return {"lng": round(centre[0] + self.places.uniform(-spread, spread), 6),
                "lat": round(centre[1] + self.places.uniform(-spread, spread), 6)}

    # --- steps ---

    def act(self, case_no):
        """Complete the open steps of a case (督办 beside the main step), then plan the next."""
        def do(session):
            case = get_by_no(session, case_no)
            tasks = [] if is_ended(case.status) else list(session.scalars(
                select(OpenTask).where(OpenTask.case_id == case.id).order_by(OpenTask.created_at)))
            delay = None
            # the steps beside the main one first: the main step may end the case (and them with it)
            for task in sorted(tasks, key=lambda t: t.step not in contract.PARALLEL_STEPS):
                if session.scalar(select(OpenTask.task_id).where(OpenTask.task_id == task.task_id)) is None:
                    continue                     # ended by a step completed just before
                form, pause = self.decide(session, case, task)
                complete(session, self.runtime, self.directory,
                         user=get_user_by_username(session, self.user_for(case, task)), task_id=task.task_id, data=form)
                self.summary.steps += 1
                if delay is None or task.step not in contract.PARALLEL_STEPS:   # the main step sets the pace
                    delay = pause
            self.press(session, case)
            return delay
        delay = self.work(do)
        if delay is not None:
            self.plan(self.later(self.clock.now(), *delay), self.act, case_no)

    def press(self, session, case):
        """Now and then the shift lead or the district's supervisor presses a case being handled."""
        if case.status not in IN_HANDLING or self.pressing.random() >= PRESSED_SHARE:
            return
        district = next(u for u in self.directory.ancestors(case.community) if self.directory.kind(u) == "district")
        username = self.pressing.choice(("shiftlead", f"supervisor-{district}"))
        supervision.start(session, self.runtime, self.directory, user=get_user_by_username(session, username),
                          case=case, data={"comment": "群众反映强烈，请加快处置"})

    def user_for(self, case, task):
        if task.role in ("intake", "shiftlead", "dispatcher") and task.unit_code == self.directory.center():
            return task.role
        if task.role == "grid":
            grid = case.grid or next(g for g in self.grids if self.directory.parent(g) == task.unit_code)
            return f"grid-{grid}"
        return f"officer-{task.unit_code}"

    def pace(self, unit):
        for code in self.directory.ancestors(unit):
            if code in PACE:
                return PACE[code]
        return 1.0

    def decide(self, session, case, task):
        """(the form of the step, (low, high) working hours until the case's next step)."""
        step = task.step
        r = (self.pressing if step in contract.PARALLEL_STEPS else self.random).random()
        if step == "accept_report":
            duplicate = self.open_duplicate(session, case)
            if r < 0.07:
                return {"decision": "void", "reason": "重复或无效上报"}, (0.2, 1)
            if r < 0.10 and duplicate:
                return {"decision": "merge", "duplicate_of": duplicate}, (0.2, 1)
            if r < 0.15 and case.case_no not in self.verified:
                self.verified.add(case.case_no)
                return {"decision": "verify"}, (1, 4)
            return {"decision": "file", "urgency": self.random.choice("AABBBCCCC")}, (0.2, 1.5)
        if step == "verify_report":
            return {"exists": True, "note": "现场核实属实"}, (0.2, 1)
        if step == "dispatch":
            return self.dispatch(session, case, task, r)
        if step == "handle":
            if r < 0.06:
                return {"action": "extend", "working_days": self.random.choice((1, 2)), "reason": "需协调多方"}, (0.5, 2)
            if r < 0.09 and task.unit_code not in self.returned:
                self.returned.add(task.unit_code)
                return {"action": "return", "reason": "不属于本单位职责"}, (0.5, 3)
            return {"action": "done", "result": "已处置完毕"}, (0.1, 1)
        if step == "approve_extension":
            approved = r < 0.8
            return {"approved": approved, "comment": "同意延期" if approved else "不同意延期"}, self.handling(case)
        if step == "review":
            return ({"approved": True}, (0.1, 1)) if r > 0.05 else ({"approved": False, "comment": "请补充处置照片"}, (1, 4))
        if step == "check_result":
            return ({"passed": True}, (0.2, 2)) if r > 0.12 else ({"passed": False, "note": "问题仍在"}, self.handling(case))
        if step == "close_case":
            return {"comment": "结案"}, (0.5, 3)
        if step == "supervise":
            return {"comment": "请尽快处置"}, (0.5, 4)
        if step == "supervise_reply":
            promised = localtime.local_date(self.clock.now()) + timedelta(days=self.pressing.choice((1, 2, 3)))
            return {"plan": "已安排人员限期整改", "promised_by": promised.isoformat()}, (0.5, 4)
        raise ValueError(f"no demo decision for step {step}")

    def dispatch(self, session, case, task, r):
        holder, center = task.unit_code, self.directory.center()
        if holder == center:
            suggested = self.suggested_unit(session, case)
            right = suggested if self.directory.kind(suggested) == "department" else \
                next(u for u in self.directory.ancestors(case.community) if self.directory.kind(u) == "district")
            if r < 0.05:
                right = self.random.choice([d for d in self.directory.of_kind("district") if d != right])
            return {"action": "assign", "unit": right}, (0.1, 0.5)
        if self.directory.kind(holder) in ("department", "community"):
            return {"action": "handle"}, self.handling(case, holder)
        below = [u for u in self.directory.ancestors(case.community) if self.directory.parent(u) == holder]
        if not below:      # dispatched to the wrong district: not ours
            return {"action": "return", "reason": "不属于本辖区"}, (0.1, 1)
        if self.directory.kind(holder) == "street" and r < 0.3:
            return {"action": "handle"}, self.handling(case, holder)
        return {"action": "assign", "unit": below[0]}, (0.1, 1)

    def handling(self, case, unit=None):
        """The working hours a unit takes to handle: its pace times the case's limit."""
        unit = unit or case.handler_unit or case.holder_unit
        days = self.calendar.working_time_between(case.filed_at, case.due_at) / timedelta(hours=7) \
            if case.due_at and case.filed_at else 1
        hours = 7 * days * self.pace(unit)
        return hours * 0.3, hours * 1.4

    def suggested_unit(self, session, case):
        """The unit the version's default-unit table suggests for the category (as the dispatcher sees it)."""
        table = decisions.table(deployments.current(session, contract.PROCESS_ID), "default_unit")
        return decisions.ask(table, {"category": case.category}).get("default_unit") if table else None

    def open_duplicate(self, session, case):
        """An open case in the same community (one the report may duplicate), or None."""
        return session.scalar(select(Case.case_no).where(Case.community == case.community, Case.id != case.id,
                                                         Case.status.in_(("dispatching", "handling")))
                              .order_by(Case.id.desc()).limit(1))


def generate(db, runtime, directory, calendar, *, months=3, seed=2026, end, per_month=CASES_PER_MONTH,
             progress=None) -> Summary:
    """Play `months` of history ending at `end` (the app's now), about `per_month` reports a month;
    returns what was done."""
    start = calendar.next_opening(end - timedelta(days=round(30.44 * months)))
    history = History(db, runtime, directory, calendar, start=start, end=end, seed=seed, per_month=per_month)
    history.reports(start)
    return history.run(progress)

