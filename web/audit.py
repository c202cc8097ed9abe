"""Auditors' pages (auditor and admin, read-only): all cases with their hash-chain checks (and, on
request, the replay of a page of them); one case's full history — every event with who, when, which
step, the form data given, before/after values, the process version — the diagram as it stood after
any event, the replay check and the chain check. These views never commit."""
import json
from datetime import datetime

from flask import Blueprint, jsonify, render_template, request

from engine.db import get_session
from handlers import localtime
from handlers.audit import trail, verify
from handlers.cases import history
from handlers.org.service import display_names

from . import common, labels, timeline

bp = Blueprint("audit", __name__, url_prefix="/audit")
bp.before_request(common.sync_clock)
PER_PAGE = 50

START = {**labels.FIELD, "case_no": "案件编号", "center": "指挥中心", "reported_at": "上报时间", "reporter": "上报人"}


def _shown(value):
    """A stored value as an auditor reads it: instants in Beijing time, the rest as JSON."""
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        if instant.tzinfo is not None and len(value) >= 16:
            return f"{localtime.show(instant, '%Y-%m-%d %H:%M:%S')}（北京时间）"
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


# the keys whose values are unit codes (a form's `unit`, a report's place, the process's variables)
UNIT_KEYS = frozenset({"unit", "community", "grid", "center", "holder", "handler", "reviewer", "chain"})


def _named(step, key, value, people):
    """A stored value by the name people know it by: a unit's name (with its code), a user's display
    name, the Chinese label of a choice, channel, status or category; anything else as `_shown` says.
    The raw values stay in the event's 原始数据."""
    if isinstance(value, list) and key in UNIT_KEYS:
        return " → ".join(_named(step, key, v, people) for v in value) or "—"
    if isinstance(value, bool):
        return labels.choice_label(step, key, value)
    if not isinstance(value, str):
        return _shown(value)
    directory = common.directory()
    if key in UNIT_KEYS and directory.exists(value):
        return f"{directory.name(value)}（{value}）"
    if key == "reporter":
        return people.get(value, value)
    if key == "category":
        return common.catalogue().name(value) or value
    for known, table in (("channel", labels.CHANNEL), ("status", labels.STATUS)):
        if key == known:
            return table.get(value, value)
    labelled = labels.choice_label(step, key, value)
    return labelled if labelled != value else _shown(value)


def _row(event, names, people):
    """One event as the history table shows it."""
    data = event.data or {}
    described = timeline.describe(event, names, people)
    form = [(labels.field_label(event.step, key), key, _named(event.step, key, value, people))
            for key, value in (data.get("form") or {}).items()] if event.kind == "task_completed" else []
    changes = []
    if event.kind == "data_changed":
        before, after = data.get("before") or {}, data.get("after") or {}
        changes = [(labels.FIELD.get(key, key), key, _named(None, key, before.get(key), people),
                    _named(None, key, after.get(key), people)) for key in dict.fromkeys([*before, *after])]
    if event.kind == "started":
        form = [(START.get(key, key), key, _named(None, key, value, people))    # the reporter is its actor
                for key, value in (data.get("data") or {}).items()]
    return dict(seq=event.seq, at=event.at, kind=event.kind, kind_label=labels.EVENT.get(event.kind, event.kind),
                title=described.title, details=described.details, actor=described.actor,
                username=None if event.actor in labels.ACTOR else event.actor,
                step=event.step, step_label=(labels.STEP.get(event.step) or names.get(event.step) or event.step or ""),
                version=event.deployment_id, form=form, changes=changes, hash=event.hash,
                data=json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))


@bp.get("")
@common.requires("audit")
def index():
    session = get_session()
    page_no = request.args.get("page", 1, type=int)
    case_no = request.args.get("case_no", "").strip()[:30]
    found = trail.summary(session, page=page_no, per_page=PER_PAGE, case_no=case_no)
    verified = None
    if request.args.get("verify"):
        verified = verify.verify_cases(session, common.runtime(), [row.case.case_no for row in found.rows])
    broken = sum(1 for row in found.rows if not row.chain.ok)
    return render_template("audit_index.html", found=found, verified=verified, broken=broken, case_no=case_no,
                           system=verify.verify_system(session))


@bp.get("/cases/<case_no>")
@common.requires("audit")
def case(case_no):
    found = common.load_case_or_404(case_no)
    session = get_session()
    stream = trail.events_of(session, found)
    deployment = history.deployment_of(session, found)
    names = history.element_names(deployment) if deployment else {}
    people = display_names(session, [e.actor for e in stream])
    rows = [_row(e, names, people) for e in stream]
    chain = verify.chain(session, found)
    replayed = verify.replay_case(session, common.runtime(), found) if request.args.get("replay") else None
    chosen = request.args.get("event", type=int) or (rows[-1]["seq"] if rows else 0)
    return render_template("audit_case.html", case=found, rows=rows, chain=chain, replayed=replayed,
                           chosen=chosen, version=deployment)


@bp.get("/cases/<case_no>/diagram/<int:seq>.json")
@common.requires("audit")
def diagram(case_no, seq):
    found = common.load_case_or_404(case_no)
    try:
        marks, deployment = trail.diagram_after(get_session(), common.runtime(), found, seq)
    except ValueError as exc:
        return jsonify(error=f"无法还原该事件之后的流程状态：{exc}"), 422
    return jsonify(seq=seq, version=deployment.id, hash=deployment.hash, filename=marks.filename, xml=marks.xml, completed=marks.completed, active=marks.active,
                   waiting=marks.waiting, flows=marks.flows, last=marks.last)
