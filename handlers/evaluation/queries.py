"""The evaluation's queries, all here: every counter of `indicators` is one SQL condition over a
period's case steps, cases or penalties. Counters over the same rows, counted by the same key (a
unit, a user), form a `Tally`: the database counts a tally in one pass (a GROUP BY with one sum per
counter), and the same condition lists the cases behind a number (`Tally.cases`). Only the two
figures that need the working-day calendar are computed in Python from the rows they stand on
(`timed_steps`, which also gives the grid workers' checks and verifications, and `supervisions`,
the 督办 each unit received and answered).

`period.start`/`period.end` bound the period (half-open); `judged` is when "at the end" is: the
period's end, or now while it has not ended."""
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, literal, not_, or_, select, union_all

from engine.models import UTCDateTime

from ..cases.deadlines import overdue_clause
from ..cases.models import Case
from ..cases.penalties import Penalty
from ..cases.statuses import ENDED, IN_HANDLING
from ..followups.models import CaseFollowUp
from .steps import CaseStep

S, C, P, F = CaseStep.__table__, Case.__table__, Penalty.__table__, CaseFollowUp.__table__
REPLY = "supervise_reply"   # the pressed unit's answer to a 督办
# The statuses in which a handling is open: a handler holds it (handling, an extension asked, its
# result on the way up, or at the check).
HANDLING_PHASE = tuple(status for status in IN_HANDLING if status != "dispatching")


@dataclass(frozen=True)
class Tally:
    """Counters over the same rows: the rows of `source` within `scope`, each standing for the case
    `case_id`, counted by `key` (or by the counter's own in `keys`); each counter is a further
    condition (None: every row)."""

    source: object
    key: object
    case_id: object
    scope: object
    counters: dict
    keys: dict = field(default_factory=dict)

    def key_of(self, name):
        return self.keys.get(name, self.key)

    def count(self, session) -> dict:
        """{key: {counter: how many rows}} (zero counts left out): one pass, grouped by every key."""
        names = list(self.counters)
        keys = list({id(k): k for k in map(self.key_of, names)}.values())
        where = {id(k): i for i, k in enumerate(keys)}
        columns = [func.count() if self.counters[name] is None
                   else func.coalesce(func.sum(case((self.counters[name], 1), else_=0)), 0) for name in names]
        found = defaultdict(dict)
        for row in session.execute(select(*keys, *columns).select_from(self.source).where(self.scope)
                                   .group_by(*keys)):
            for name, n in zip(names, row[len(keys):]):
                if n:
                    counted = found[row[where[id(self.key_of(name))]]]
                    counted[name] = counted.get(name, 0) + n
        return found

    def cases(self, session, name, keys) -> list[str]:
        """The case numbers behind a counter for the given keys (one per count, sorted)."""
        condition = self.counters[name]
        inner = (select(self.case_id.label("case_id")).select_from(self.source)
                 .where(self.scope, self.key_of(name).in_(list(keys)),
                        *([condition] if condition is not None else []))
                 .subquery())
        return sorted(session.scalars(select(C.c.case_no).join(inner, inner.c.case_id == C.c.id)))


def _instant(value):
    return literal(value, UTCDateTime)


def _within(column, period):
    return and_(column >= period.start, column < period.end)


def _is(step, outcomes=None):
    """Steps of a kind (and outcome)."""
    if outcomes is None:
        return S.c.step == step
    return and_(S.c.step == step, S.c.outcome.in_(outcomes) if isinstance(outcomes, tuple) else S.c.outcome == outcomes)


def _returns(steps=S):
    """A return: of a dispatch by the unit it went to, or of a case given it to handle."""
    return and_(steps.c.outcome == "return", steps.c.step.in_(("dispatch", "handle")))


def _state_at(period, judged):
    """Each case open at `judged` (reported before the end, not ended by then): its community, when
    it was filed, and its handler, status and deadline right after its last step before the period's
    end. One indexed probe per case and column (the portable form of a LATERAL join: a join back to
    the steps would read them all)."""
    def last(column):
        return (select(column).where(S.c.case_id == C.c.id, S.c.at < period.end)
                .order_by(S.c.seq.desc()).limit(1).scalar_subquery())
    return (select(C.c.id.label("case_id"), C.c.community, C.c.filed_at, last(S.c.handler).label("handler"),
                   last(S.c.status).label("status"), last(S.c.due_at).label("due_at"))
            .where(C.c.reported_at < period.end, or_(C.c.closed_at.is_(None), C.c.closed_at > judged))
            .subquery())


def _passed_in_time():
    """The case's handling ended (its check passed) before its deadline then."""
    return exists(select(S.c.id).where(S.c.case_id == C.c.id, S.c.step == "check_result",
                                       S.c.outcome == "passed", not_(overdue_clause(S.c.due_at, S.c.at))))


def handling(period, judged) -> list[Tally]:
    """The handling units' counters (key: the unit)."""
    last = _state_at(period, judged)
    late = overdue_clause(S.c.due_at, S.c.at)
    return [
        Tally(S, S.c.handler, S.c.case_id, _within(S.c.at, period), {
            "handled": _is("check_result", "passed"),
            "on_time": and_(_is("check_result", "passed"), not_(late)),
            "late": and_(_is("check_result", "passed"), late),
            "rework": _is("check_result", "failed"),
            "extensions_approved": _is("approve_extension", "approved"),
            "returned": _returns(),                      # by the unit that returned it
            "extension_requests": _is("handle", "extend"),
            "suspension_requests": _is("handle", "suspend"),
            "suspensions_approved": _is("approve_suspension", "approved"),
        }, keys={"returned": S.c.unit_code, "extension_requests": S.c.unit_code, "suspension_requests": S.c.unit_code}),
        Tally(last, last.c.handler, last.c.case_id,
              and_(last.c.status.in_(HANDLING_PHASE), overdue_clause(last.c.due_at, _instant(judged))),
              {"overdue_open": None}),
        # 回访 recorded in the period, by the unit that handled the case
        Tally(F.join(C, C.c.id == F.c.case_id), C.c.handler_unit, F.c.case_id, _within(F.c.at, period), {
            "follow_ups": None,
            "satisfied": F.c.rating == "satisfied",
            "basically_satisfied": F.c.rating == "basically_satisfied",
            "dissatisfied": F.c.rating == "dissatisfied",
        }),
    ]


def area(period, judged) -> list[Tally]:
    """The areas' counters (key: the case's community)."""
    last = _state_at(period, judged)
    reported, filed, ended = (_within(C.c.reported_at, period), _within(C.c.filed_at, period),
                              _within(C.c.closed_at, period))
    return [
        Tally(C, C.c.community, C.c.id, or_(reported, filed, ended), {
            "reported": reported,
            "filed": filed,
            "closed": and_(ended, C.c.status == "closed"),
            "on_time_closed": and_(ended, C.c.status == "closed", _passed_in_time()),
            "on_spot": and_(ended, C.c.status == "closed_on_spot"),
            "voided": and_(ended, C.c.status == "voided"),
            "merged": and_(ended, C.c.status == "merged"),
        }),
        Tally(last, last.c.community, last.c.case_id,
              and_(last.c.filed_at <= judged, last.c.status.not_in(ENDED),
                   overdue_clause(last.c.due_at, _instant(judged))),
              {"overdue_open": None}),
    ]


def _dispatch_returned(period, center):
    """The command center's dispatches in the period that the unit they went to returned (before
    the period's end): the latest dispatch into the returning unit before its return. (A return
    comes after its dispatch, so within the period too: the bound lets the index on `at` find it.)"""
    back, sent = S.alias("back"), S.alias("sent")
    undone = (select(func.max(S.c.seq)).where(S.c.case_id == back.c.case_id, S.c.step == "dispatch",
                                              S.c.outcome == "assign", S.c.target == back.c.unit_code,
                                              S.c.seq < back.c.seq).scalar_subquery())
    pairs = (select(sent.c.actor, sent.c.case_id, sent.c.seq)
             .join(back, back.c.case_id == sent.c.case_id)
             .where(_within(back.c.at, period), _returns(back), sent.c.seq == undone, sent.c.unit_code == center,
                    _within(sent.c.at, period))
             .distinct().subquery())
    return Tally(pairs, pairs.c.actor, pairs.c.case_id, literal(True), {"dispatch_returned": None})


def jobs(period, center) -> list[Tally]:
    """The command-center posts' counters (key: the user)."""
    return [
        Tally(S, S.c.actor, S.c.case_id, _within(S.c.at, period), {
            "accepted": _is("accept_report", ("file", "void", "merge")),
            "filed": _is("accept_report", "file"),
            "voided": _is("accept_report", "void"),
            "merged": _is("accept_report", "merge"),
            "verify_sent": _is("accept_report", "verify"),
            "dispatched": and_(_is("dispatch", "assign"), S.c.unit_code == center),
            "extensions_decided": _is("approve_extension"),
            "extensions_approved": _is("approve_extension", "approved"),
            "extensions_refused": _is("approve_extension", "refused"),
            "supervised": _is("supervise"),
            "closed": _is("close_case"),
        }),
        _dispatch_returned(period, center),
    ]


def grid(period, judged) -> list[Tally]:
    """The grid workers' counters (key: the user); their checks and verifications are counted from
    `timed_steps`, which reads them to time them."""
    return [
        Tally(C, C.c.reporter, C.c.id, and_(C.c.channel == "grid", _within(C.c.reported_at, period)), {
            "reported": None,
            "valid": or_(C.c.filed_at <= judged, C.c.status == "closed_on_spot"),
            "on_spot": C.c.status == "closed_on_spot",
        }),
    ]


def penalties(period) -> Tally:
    """The penalties that fell due in the period (key: the unit they are against)."""
    return Tally(P, P.c.unit_code, P.c.case_id, _within(P.c.due_at, period), {"points": None})


def points(session, period):
    """{unit: the points of the penalties that fell due in the period against it}."""
    return dict(session.execute(select(P.c.unit_code, func.sum(P.c.points)).where(_within(P.c.due_at, period))
                                .group_by(P.c.unit_code)).all())


def timed_steps(session, period):
    """(user, step, reported at, opened at, done at) of the steps done in the period whose working
    time is measured: each case's first accept decision (受理时长: from the report), the checks and
    the verifications (from when their task opened)."""
    earlier = S.alias("earlier")
    first = not_(exists(select(earlier.c.id).where(earlier.c.case_id == S.c.case_id, earlier.c.seq < S.c.seq,
                                                    earlier.c.step == "accept_report")))
    accepts = (select(S.c.actor, S.c.step, C.c.reported_at, S.c.opened_at, S.c.at).join(C, C.c.id == S.c.case_id)
               .where(_within(S.c.at, period), _is("accept_report"), first))
    checks = select(S.c.actor, S.c.step, literal(None, UTCDateTime), S.c.opened_at, S.c.at).where(
        _within(S.c.at, period), S.c.step.in_(("check_result", "verify_report")))
    return session.execute(union_all(accepts, checks)).all()


def suspensions(session, period, judged):
    """(unit, stopped at, resumed at or None) of every suspension (挂起) of a unit's handling that
    ran within the period: the clock's stop and resume steps (deadline changes of outcome
    `suspended` and `resumed`), paired in each case's order, those still running at the end
    (`judged`) open-ended. The unit is the handler when the clock stopped."""
    rows = session.execute(
        select(S.c.case_id, S.c.outcome, S.c.at, S.c.handler)
        .where(S.c.step == "deadline", S.c.outcome.in_(("suspended", "resumed")), S.c.at < _instant(judged))
        .order_by(S.c.case_id, S.c.seq)).all()
    found, running = [], {}
    for case_id, outcome, at, handler in rows:
        if outcome == "suspended":
            running[case_id] = (handler, at)
        elif case_id in running:
            handler, stopped = running.pop(case_id)
            found.append((handler, stopped, at))
    found += [(handler, stopped, None) for handler, stopped in running.values()]
    return [(u, a, b) for u, a, b in found if a < period.end and (b is None or b > period.start)]


def supervisions(session, period, judged):
    """(unit, reached at, answered at or None) of every 督办 that reached a unit in the period: the
    `supervise` steps (the shift lead's after the overdue timer, or by hand), whose `target` is the
    unit pressed, each with that unit's `supervise_reply` to it (opened in the same unit of work)
    if given by the end (`judged`)."""
    pressing, reply = S.alias("pressing"), S.alias("reply")
    answered = and_(reply.c.case_id == pressing.c.case_id, reply.c.step == REPLY,
                    reply.c.unit_code == pressing.c.target, reply.c.opened_at == pressing.c.at,
                    reply.c.at < _instant(judged))
    return session.execute(
        select(pressing.c.target, pressing.c.at, reply.c.at).select_from(pressing.outerjoin(reply, answered))
        .where(pressing.c.step == "supervise", pressing.c.target.is_not(None), _within(pressing.c.at, period))).all()
