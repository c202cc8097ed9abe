"""What the admins change, on the system event chain (`engine.events`, stream `system`, beside the
deployments and clock changes): one event per change, with who, what (the subject, e.g.
`unit:350203011003`) and the values before and after, in the change's own transaction. Passwords
and tokens are never written there, only that they changed."""
from sqlalchemy import select

from engine import events
from engine.models import Event

# The kinds an admin's change is recorded as, and their names on the pages.
KINDS = {
    "unit_added": "新增单位", "unit_renamed": "单位改名", "unit_moved": "调整上级单位",
    "unit_centre_set": "设置中心点", "unit_deactivated": "停用单位", "unit_reactivated": "启用单位",
    "user_added": "新增用户", "user_changed": "修改角色或单位", "user_deactivated": "停用用户",
    "user_reactivated": "启用用户", "password_reset": "重置密码", "tokens_revoked": "吊销令牌",
    "client_added": "新增接入系统", "client_token_issued": "签发接入令牌", "client_revoked": "停用接入系统",
    "camera_added": "新增摄像头", "camera_deactivated": "停用摄像头", "camera_reactivated": "启用摄像头",
    "calendar_year_loaded": "载入年度日历", "deadlines_recomputed": "重算暂定期限",
}


def record(session, *, kind, actor, at, subject, before=None, after=None, **extra):
    """Append one admin change to the system chain (KeyError for a kind not in KINDS: a bug)."""
    KINDS[kind]
    return events.append(session, stream=events.SYSTEM, kind=kind, at=at, actor=actor,
                         data={"subject": subject, "before": before or {}, "after": after or {}, **extra})


def recent(session, limit=20):
    """The newest admin changes, newest first."""
    return list(session.scalars(select(Event).where(Event.stream == events.SYSTEM, Event.kind.in_(KINDS))
                                .order_by(Event.seq.desc()).limit(limit)))
