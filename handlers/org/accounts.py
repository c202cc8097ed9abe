"""Changing users (the admins' 用户 page): add one, change their name, role and unit, deactivate
or reactivate them, reset their password, and list and revoke their API tokens. Each change is
recorded on the system chain (`journal`; a password only as "reset", never its value or hash).

A role belongs at certain kinds of unit (ROLE_UNITS: a grid worker in a grid, an officer in a
district, street, community or department, the command center's roles at the center), so that
every user can match the tasks of their role and unit. An admin cannot deactivate themselves or
change their own role: the last admin could lock everyone out. Deactivating a user revokes their
tokens too (a reactivated user starts without any)."""
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ..paging import Page
from . import journal, tokens
from .models import ROLES, Unit, User
from .service import OrgError, create_user, get_user_by_username

CENTER_ROLES = ("intake", "dispatcher", "shiftlead", "owner", "auditor", "admin")
ROLE_UNITS = {"grid": ("grid",), "officer": ("district", "street", "community", "department"),
              "supervisor": ("center", "district"), **{role: ("center",) for role in CENTER_ROLES}}
assert set(ROLE_UNITS) == set(ROLES)


def snapshot(user):
    """What the journal records of a user."""
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "unit_code": user.unit_code, "active": user.active}


def get_or_refuse(session, username, field="username"):
    user = get_user_by_username(session, username) if username else None
    if user is None:
        raise OrgError(f"未知用户 {username}", field)
    return user


def _check_place(session, role, unit_code):
    unit = session.get(Unit, unit_code) if unit_code else None
    if unit is None:
        raise OrgError(f"未知单位 {unit_code}", "unit_code")
    if not unit.active:
        raise OrgError(f"{unit.name} 已停用", "unit_code")
    if unit.kind not in ROLE_UNITS[role]:
        raise OrgError(f"该角色不能设在{unit.name}：须为{'、'.join(KIND_WORDS[k] for k in ROLE_UNITS[role])}",
                       "unit_code")


KIND_WORDS = {"center": "指挥中心", "district": "区", "street": "街道（镇）", "community": "社区", "grid": "网格",
              "department": "市直部门"}


def _record(session, kind, *, actor, at, user, before):
    session.flush()
    journal.record(session, kind=kind, actor=actor, at=at, subject=f"user:{user.username}", before=before,
                   after=snapshot(user) if kind != "password_reset" else {})
    return user


def add(session, *, actor, at, username, display_name, role, unit_code, password):
    """Add an active user; raises OrgError for a taken name or a unit that does not fit the role."""
    if get_user_by_username(session, username) is not None:
        raise OrgError(f"用户名 {username} 已被使用", "username")
    _check_place(session, role, unit_code)
    user = create_user(session, username=username, display_name=display_name.strip(), role=role,
                       unit_code=unit_code, password=password)
    return _record(session, "user_added", actor=actor, at=at, user=user, before={})


def change(session, *, actor, at, username, display_name, role, unit_code):
    """Change a user's display name, role and unit (their open tasks are by role and unit, not by person)."""
    user = get_or_refuse(session, username)
    if user.username == actor and role != user.role:
        raise OrgError("不能修改自己的角色", "role")
    _check_place(session, role, unit_code)
    before = snapshot(user)
    user.display_name, user.role, user.unit_code = display_name.strip(), role, unit_code
    return _record(session, "user_changed", actor=actor, at=at, user=user, before=before)


def set_active(session, *, actor, at, username, active):
    """Deactivate (revoking every token) or reactivate a user."""
    user = get_or_refuse(session, username)
    if user.username == actor:
        raise OrgError("不能停用自己的账号", "username")
    if user.active == active:
        raise OrgError(f"{user.display_name} 已{'在用' if active else '停用'}", "username")
    if active:
        _check_place(session, user.role, user.unit_code)
    before = snapshot(user)
    user.active = active
    if not active:
        tokens.revoke_user_tokens(session, username=user.username, at=at)
    return _record(session, "user_reactivated" if active else "user_deactivated", actor=actor, at=at,
                   user=user, before=before)


def reset_password(session, *, actor, at, username, password):
    user = get_or_refuse(session, username)
    user.password_hash = generate_password_hash(password)
    return _record(session, "password_reset", actor=actor, at=at, user=user, before={})


def user_tokens(session, user):
    """The user's tokens, newest first (hashes only: a token's text is never kept)."""
    return list(session.scalars(select(tokens.ApiToken).where(tokens.ApiToken.user_id == user.id)
                                .order_by(tokens.ApiToken.created_at.desc(), tokens.ApiToken.id.desc())))


def revoke_tokens(session, *, actor, at, username, token_id=None):
    """Revoke one of the user's live tokens (by id), or all of them; returns how many."""
    user = get_or_refuse(session, username)
    live = [t for t in user_tokens(session, user) if t.revoked_at is None
            and (token_id is None or t.id == token_id)]
    if token_id is not None and not live:
        raise OrgError("该令牌不存在或已吊销", "token")
    for row in live:
        row.revoked_at = at
    session.flush()
    journal.record(session, kind="tokens_revoked", actor=actor, at=at, subject=f"user:{user.username}",
                   before={"live": [t.id for t in live]}, after={"revoked": [t.id for t in live]})
    return len(live)


def get_all(session, *, query="", unit_code="", role="", page=1, per_page=20):
    """Users matching a name (part of the username or display name), a unit and a role, by username."""
    conditions = []
    if query:
        conditions.append(User.username.contains(query.strip(), autoescape=True)
                          | User.display_name.contains(query.strip(), autoescape=True))
    if unit_code:
        conditions.append(User.unit_code == unit_code)
    if role:
        conditions.append(User.role == role)
    total = session.scalar(select(func.count(User.id)).where(*conditions))
    rows = session.scalars(select(User).where(*conditions).order_by(User.username)
                           .limit(per_page).offset((max(1, page) - 1) * per_page))
    return Page(items=list(rows), total=total, page=max(1, page), per_page=per_page)
