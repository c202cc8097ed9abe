"""Notifications as their recipients use them: written by the engine listener (`make_refresh`)
from what a unit of work did, once per cause and recipient; listed, counted and marked read by
their own recipient only.

One row per recipient (not one per unit and role with read marks beside): who was told is fixed
when it happens (the active users of the unit and role then), reading and counting are one indexed
query on (user, read), the outbox can address a person, and "once per cause and recipient" is a
unique key the database enforces."""
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine import direct, instances
from engine.pipeline import PIPELINED

from .. import paging
from ..cases.service import case_of
from ..org import capabilities
from ..org.models import User
from ..process import contract
from ..worklist import service as worklist
from ..worklist.models import OpenTask
from . import notices, outbox
from .models import Notification


def link_of(*, task_id, case_no, task_open=True):
    """Where a notification leads in the web UI: its task while open, else the case."""
    return f"/tasks/{task_id}" if task_id and task_open else f"/cases/{case_no}"


# --- writing (the listener) -----------------------------------------------------------------------

# Built once: these run on every step (building a statement cost more than running it).
_HOLDERS = select(OpenTask.unit_code, OpenTask.role).distinct().where(
    OpenTask.case_id == bindparam("case_id"), OpenTask.unit_code == bindparam("unit"),
    OpenTask.step.not_in(contract.PARALLEL_STEPS))
_UNIT_USERS = select(*worklist.USER_COLUMNS).where(User.unit_code == bindparam("unit"), User.active.is_(True)).order_by(User.id)
_INSERTS = {}


def _insert_once(dialect):
    """INSERT of notifications that skips a row existing already (once per cause and recipient, by
    the unique key), returning what it wrote; per dialect, built once."""
    if dialect not in _INSERTS:
        table = Notification.__table__
        dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        _INSERTS[dialect] = (dialect_insert(table).on_conflict_do_nothing(index_elements=["source", "user_id"])
                             .returning(table.c.id, table.c.source, table.c.user_id))
    return _INSERTS[dialect]


_TASK_INSERTS = {}


def _insert_for_task(dialect, units):
    """INSERT ... SELECT of one task notice's notifications, for every active user of the task's
    role in its `units` (`worklist.task_units`), skipping rows that exist: one statement where reading
    the users first took two, and nothing read back, so that a step pipelines it (`engine.pipeline`).
    Built once per dialect and number of units, each unit its own parameter (`direct.in_each`)."""
    key = (dialect, len(units))
    if key not in _TASK_INSERTS:
        table = Notification.__table__
        dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        values = [bindparam(name, type_=table.c[name].type) for name in _TASK_COLUMNS[1:]]
        users = select(User.id, *values).where(User.role == bindparam("role"), User.active.is_(True),
                                              direct.in_each(User.unit_code, "unit", len(units)))
        _TASK_INSERTS[key] = (dialect_insert(table).from_select(_TASK_COLUMNS, users)
                              .on_conflict_do_nothing(index_elements=["source", "user_id"])
                              .execution_options(**PIPELINED))
    return _TASK_INSERTS[key]


_TASK_COLUMNS = ["user_id", "kind", "case_id", "case_no", "task_id", "text", "source", "created_at"]


def _holding(session, directory, case, unit):
    """The users who work the case at the unit holding it: the holders of its open tasks there
    (beside the main path's steps, e.g. the shift lead's 督办); if none is open there (an extension
    waits for the shift lead), the unit's users who work tasks."""
    pairs = session.execute(_HOLDERS, {"case_id": case.id, "unit": unit}).all()
    if pairs:
        return [u for unit_code, role in sorted(pairs)
                for u in worklist.users_acting_for(session, directory, unit=unit_code, role=role)]
    users = session.execute(_UNIT_USERS, {"unit": unit}).all()
    return [u for u in users if capabilities.can(u, "work_tasks")]


def audience(session, directory, case, notice):
    """The users a notice is for (each once)."""
    if notice.task is not None:
        unit, role = notice.task
        found = worklist.users_acting_for(session, directory, unit=unit, role=role)
    else:
        found = _holding(session, directory, case, notice.holder)
    return list({u.id: u for u in found}.values())


def create(session, directory, policy, *, case, found, now):
    """Write the notifications of these notices (each once per cause and recipient: those that
    exist already are left alone) and queue the outbound ones. A task's notice that stays inside
    (not an outbound kind, the usual one) is written by one INSERT ... SELECT whose answer is not
    waited for; the others need their recipients' rows (who, for the outbox). Returns how many
    rows the others wrote."""
    rows, users = [], {}
    dialect, connection = session.bind.dialect.name, session.connection()
    for notice in found:
        if notice.task is not None and notice.kind not in policy.kinds:
            unit, role = notice.task
            units = worklist.task_units(directory, unit=unit, role=role)
            direct.send(connection, _insert_for_task(dialect, units), dict(
                direct.each("unit", units), role=role, kind=notice.kind,
                case_id=case.id, case_no=case.case_no, task_id=notice.task_id, text=notice.text,
                source=notice.source, created_at=now))
            continue
        for user in audience(session, directory, case, notice):
            users[user.id] = user
            rows.append(dict(user_id=user.id, kind=notice.kind, case_id=case.id, case_no=case.case_no,
                             task_id=notice.task_id, text=notice.text, source=notice.source, created_at=now,
                             read_at=None))
    if not rows:
        return 0
    # Once per cause and recipient, by the unique key: a row that exists already is skipped, never
    # an error that would refuse the step it came with.
    statement = _insert_once(dialect)
    written = {(source, user_id): new_id for new_id, source, user_id in connection.execute(statement, rows)}
    rows = [r | {"id": written[(r["source"], r["user_id"])]} for r in rows if (r["source"], r["user_id"]) in written]
    outbox.queue(session, [r for r in rows if r["kind"] in policy.kinds], users=users, directory=directory,
                 link_of=lambda r: link_of(task_id=r["task_id"], case_no=r["case_no"]))
    return len(rows)


def make_refresh(*, directory, policy):
    """The engine listener (after `worklist.service.refresh`, whose opened rows it reads):
    the notifications of what the unit of work just did, in its transaction."""
    def refresh(session, loaded):
        opened = loaded.scratch.get(worklist.OPENED) or []
        if not opened and not loaded.saved_events:
            return
        case = case_of(session, loaded)
        if case is None:
            return
        found = notices.of_unit_of_work(loaded, case, directory, opened=opened)
        if found:
            create(session, directory, policy, case=case, found=found, now=loaded.context.at)
    return refresh


# --- reading --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    notification: Notification
    link: str


@dataclass
class Page(paging.Page):
    unread: int = 0     # the recipient's unread notifications, whatever the page


def unread_count(session, user):
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def page_for(session, user, *, unread_only=False, page=1, per_page=20) -> Page:
    """The user's notifications, newest first, one page; each with its link (the task while it is open)."""
    where = [Notification.user_id == user.id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*where))
    rows = session.execute(
        select(Notification, OpenTask.task_id).outerjoin(OpenTask, OpenTask.task_id == Notification.task_id)
        .where(*where).order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    items = [Item(n, link_of(task_id=n.task_id, case_no=n.case_no, task_open=open_id is not None))
             for n, open_id in rows]
    return Page(items, total, page, per_page, unread=unread_count(session, user))


def get_own(session, user, notification_id):
    """The user's notification; instances.NotFound (404) for anyone else's, as if it did not exist."""
    # beyond the integer column: cannot exist (and PostgreSQL would refuse the query)
    found = session.get(Notification, notification_id) if 0 < notification_id < 2**31 else None
    if found is None or found.user_id != user.id:
        raise instances.NotFound(f"没有通知 {notification_id}")
    return found


def item_of(session, notification):
    open_task = notification.task_id is not None and session.get(OpenTask, notification.task_id) is not None
    return Item(notification, link_of(task_id=notification.task_id, case_no=notification.case_no,
                                      task_open=open_task))


def mark_read(session, user, notification_id, now):
    """Mark one of the user's notifications read (once: a second time keeps the first instant)."""
    found = get_own(session, user, notification_id)
    if found.read_at is None:
        found.read_at = now
        session.flush()
    return found


def mark_all_read(session, user, now):
    """Mark every unread notification of the user read; returns how many."""
    result = session.execute(update(Notification).where(Notification.user_id == user.id,
                                                        Notification.read_at.is_(None)).values(read_at=now))
    return result.rowcount
