"""Changing and finding units and users, and checking a user's password."""
import secrets
from functools import cache

from sqlalchemy import bindparam, inspect as sa_inspect, select
from werkzeug.security import check_password_hash, generate_password_hash

from engine import direct

from ..errors import Invalid
from .models import KINDS, ROLES, Unit, User


class OrgError(Invalid):
    """An org-tree or user operation that is not valid."""


def create_unit(session, *, code, name, kind, parent_code=None):
    """Add a unit to the tree."""
    if kind not in KINDS:
        raise OrgError(f"unknown unit kind {kind!r}", "kind")
    unit = Unit(code=code, name=name, kind=kind, parent_code=parent_code)
    session.add(unit)
    return unit


def create_user(session, *, username, role, unit_code, display_name="", password=None, password_hash=None):
    """Add a user with a hashed password (or an already hashed one: the demo hashes once for all).

    Raises OrgError for an unknown role or unit."""
    if role not in ROLES:
        raise OrgError(f"unknown role {role!r}", "role")
    if session.get(Unit, unit_code) is None:
        raise OrgError(f"unknown unit {unit_code!r}", "unit_code")
    if (password is None) == (password_hash is None):
        raise ValueError("give a password or its hash")
    user = User(username=username, password_hash=password_hash or generate_password_hash(password), role=role,
                unit_code=unit_code, display_name=display_name or username)
    session.add(user)
    return user


@cache
def _by(column):
    # built once (asked on every request and step), read past SQLAlchemy's execution (engine.direct)
    return select(*direct.columns(User)).where(column == bindparam("key"))


def get_user_by_username(session, username):
    found = direct.entities(session, _by(User.username), {"key": username}, (User,))
    return found[0][0] if found else None


def get_user(session, user_id):
    """The user with this id (the session's object when it holds one), or None."""
    known = session.identity_map.get(sa_inspect(User).identity_key_from_primary_key((user_id,)))
    if known is not None:
        return known
    found = direct.entities(session, _by(User.id), {"key": user_id}, (User,))
    return found[0][0] if found else None


# A hash of a random password, made the way users' are, for unknown names to be checked against
# (made at import: the first unknown name must not take two hashes' time).
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def check_credentials(session, username, password):
    """The active user with this name and password, or None. Exactly one password hash is checked
    either way (an unknown or inactive name against a dummy hash), so the time an answer takes
    does not tell whether a name exists."""
    user = get_user_by_username(session, username) if username else None
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if user.check_password(password) else None


def display_names(session, usernames):
    """{username: display name} of the users among `usernames` (others, e.g. "timer", are left out)."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(wanted)))
    return {username: name for username, name in rows if name}
