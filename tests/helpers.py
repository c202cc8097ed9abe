"""Domain helpers for tests: drive the product through its service layer, as the CLI and API do."""
import socket
from datetime import datetime, timedelta, timezone

from engine import cli as engine_cli, sweep
from engine.db import get_db
from handlers.cases import service as cases, supervision
from handlers.cases.forms import ReportSchema
from handlers.cases.schemas import case_json
from handlers.demo import tree
from handlers.org.service import get_user_by_username
from handlers.worklist import service as worklist

SHANGHAI = timezone(timedelta(hours=8))

SEWAGE = {  # the seed's own case: sewage outside the billiard hall at Mingfa plaza
    "channel": "grid", "category": "200115", "description": "明发商业广场台球馆门口污水横流",
    "address": "思明区嘉莲街道明发商业广场", "grid": "35020301100301",
}


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (just now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def at(text):
    """An instant in Beijing time, e.g. at('2026-03-02 16:05')."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class City:
    def __init__(self, app):
        self.app = app
        self.db = get_db(app)
        self.runtime = app.extensions["citygrid.runtime"]
        self.directory = app.extensions["citygrid.directory"]

    def setup(self):
        engine_cli.upgrade(self.app)
        with self.db.unit_of_work() as session:
            tree.load(session)
        self.directory.invalidate()

    def work(self, fn):
        with self.db.unit_of_work() as session:
            self.runtime.clock.sync(session)
            return fn(session)

    # --- time ---
    def set_clock(self, when):
        when = at(when) if isinstance(when, str) else when
        self.work(lambda s: self.runtime.clock.set(s, when))

    def now(self):
        return self.work(lambda s: self.runtime.clock.now())

    def sweep(self):
        return sweep.sweep(self.db, self.runtime)

    # --- cases and tasks ---
    def user(self, session, username):
        return get_user_by_username(session, username)

    def report(self, username="grid-35020301100301", **fields):
        data = {**SEWAGE, **fields}

        def do(session):
            case, _ = cases.report(session, self.runtime, self.directory, user=self.user(session, username),
                                   data=ReportSchema().load(data))
            return case.case_no
        return self.work(do)

    def show(self, case_no):
        return self.work(lambda s: case_json(s, self.runtime, self.directory, cases.get_by_no(s, case_no)))

    def open_tasks(self, case_no):
        return self.show(case_no)["open_tasks"]

    def task(self, case_no, step):
        found = [t for t in self.open_tasks(case_no) if t["step"] == step]
        assert found, f"no open {step} task on {case_no}; open: {self.open_tasks(case_no)}"
        return found[0]

    def complete(self, case_no, step, username, **form):
        task = self.task(case_no, step)
        return self.complete_id(task["id"], username, **form)

    def complete_id(self, task_id, username, **form):
        def do(session):
            case = worklist.complete(session, self.runtime, self.directory, user=self.user(session, username),
                                     task_id=task_id, data=form)
            return case.status
        return self.work(do)

    def supervise(self, case_no, username, comment="请尽快处置"):
        """Start a 督办 by hand; returns the unit pressed."""
        return self.work(lambda s: supervision.start(s, self.runtime, self.directory, user=self.user(s, username),
                                                     case=cases.get_by_no(s, case_no), data={"comment": comment}))

    def assign_down(self, case_no, *units):
        """Dispatch level by level from the center to the last unit; returns that unit's user."""
        holder_user = "dispatcher"
        for unit in units:
            self.complete(case_no, "dispatch", holder_user, action="assign", unit=unit)
            holder_user = f"officer-{unit}"
        return holder_user

    def dispatch_down(self, case_no, *units):
        """Dispatch down to the last unit, which then takes it to handle."""
        self.complete(case_no, "dispatch", self.assign_down(case_no, *units), action="handle")

    def review_up(self, case_no, *units):
        """Approve the review at each unit above the handler, bottom up, ending at the center."""
        for unit in units:
            user = "dispatcher" if unit == "350200" else f"officer-{unit}"
            self.complete(case_no, "review", user, approved=True)


# The published JSON of a case and of an open task (README: `cases show --json`, `tasks list
# --json`, the API): written out here, independently of the schemas that produce them.
CASE_KEYS = {"case_no", "status", "category", "urgency", "channel", "external_ref", "description", "address",
             "community", "grid", "lat", "lng", "reporter", "reported_at", "filed_at", "due_at", "due_provisional",
             "holder_unit", "holder_name", "handler_unit", "overdue", "closed_at", "merged_into", "rework_count",
             "penalties", "open_tasks", "suspension"}
TASK_KEYS = {"id", "case_no", "step", "role", "unit", "created_at", "category", "urgency", "status", "holder_unit",
             "due_at", "due_provisional"}
