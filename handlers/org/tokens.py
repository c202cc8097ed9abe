"""API credentials: bearer tokens of users and of external clients (the 12345 hotline, 110, the
WeChat/web portal, the video detector), and the clients themselves.

A token is `cg_` + 43 characters of `secrets.token_urlsafe(32)`; only its SHA-256 is stored, so a
database dump gives no usable token. Tokens are looked up by that hash, can be revoked, may expire
(those issued by the login endpoint do) and remember when they were last used.

An external client is its own reporter: `cases.report` and `attachments.store` only need a
`username` and a `role` of whoever files, and an ApiClient offers both (`client:<name>`, role
`client`). That role is not in `org.models.ROLES`, so a client can never log in, hold a unit or match a
task's role: it can report on its own channel and read back what it reported, nothing more.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import CheckConstraint, ForeignKey, String, bindparam, select, update
from sqlalchemy.orm import Mapped, mapped_column

from engine import direct
from engine.db import Base
from engine.models import UTCDateTime

from ..errors import Invalid
from . import journal
from .models import User
from .service import check_credentials, get_user_by_username

CLIENT_CHANNELS = ("hotline12345", "transfer110", "wechat", "web", "video")
CLIENT_ROLE = "client"
PREFIX = "cg_"
# last_used_at is bookkeeping, not an audit trail: writing it once a minute at most keeps reads cheap.
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(Invalid):
    """A token or client operation that is not valid (unknown user or client, bad channel...)."""


class ApiClient(Base):
    """An external system allowed to report through the API on one channel."""

    __tablename__ = "api_clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def username(self):
        """The reporter name its cases, photos and events carry."""
        return f"client:{self.name}"

    @property
    def role(self):
        return CLIENT_ROLE

    @property
    def active(self):
        return self.revoked_at is None


class ApiToken(Base):
    """One bearer token, of a user or of a client (exactly one of the two)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"), index=True)
    label: Mapped[str] = mapped_column(String(50), default="")     # how it was issued: cli, login
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("(user_id IS NULL) <> (client_id IS NULL)", name="one_owner"),)


@dataclass(frozen=True)
class Caller:
    """Who presented a valid token: a user or an external client."""

    token: ApiToken
    user: User | None = None
    client: ApiClient | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token(session, *, at, label, user=None, client=None, expires_at=None):
    plain = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(token_hash=hash_token(plain), user_id=user.id if user else None,
                   client_id=client.id if client else None, label=label, created_at=at, expires_at=expires_at)
    session.add(row)
    session.flush()
    return row, plain


def issue_user_token(session, *, username, at, label="cli", ttl: timedelta | None = None):
    """A new token for an active user; returns (ApiToken, the token text, shown only now).

    Raises TokenError for an unknown or inactive user.
    """
    user = get_user_by_username(session, username)
    if user is None or not user.active:
        raise TokenError(f"unknown user {username!r}")
    return _new_token(session, at=at, label=label, user=user, expires_at=at + ttl if ttl else None)


def login(session, *, username, password, at, ttl: timedelta | None):
    """Check a user's password and issue a login token; None when the credentials are wrong (the
    answer takes as long for an unknown name: `check_credentials`)."""
    user = check_credentials(session, username, password)
    if user is None:
        return None
    return _new_token(session, at=at, label="login", user=user, expires_at=at + ttl if ttl else None)


def revoke_user_tokens(session, *, username, at, token: str | None = None) -> int:
    """Revoke every live token of a user, or only `token`; returns how many were revoked.

    Raises TokenError for an unknown user, or a `token` that is not one of theirs.
    """
    user = get_user_by_username(session, username)
    if user is None:
        raise TokenError(f"unknown user {username!r}")
    query = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token is not None:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
        if row is None or row.user_id != user.id:
            raise TokenError(f"that token is not one of {username}'s")
        query = query.where(ApiToken.id == row.id)
    return session.execute(query.values(revoked_at=at)).rowcount


def revoke(session, *, token_row, at):
    """Revoke one token (the API's logout)."""
    token_row.revoked_at = token_row.revoked_at or at
    session.flush()


def get_client_by_name(session, name):
    return session.scalar(select(ApiClient).where(ApiClient.name == name))


def get_all_clients(session):
    return list(session.scalars(select(ApiClient).order_by(ApiClient.name)))


def _client_record(client):
    return {"name": client.name, "channel": client.channel, "active": client.active}


def create_client(session, *, name, channel, at, actor="cli", label="cli"):
    """Register an external client and issue its first token; returns (client, token text). The
    change is recorded on the system chain (by `actor`; the token's text never is).

    Raises TokenError for a bad name or channel, or a name already taken.
    """
    name = (name or "").strip()
    if not name or len(name) > 100 or any(c.isspace() or ord(c) < 32 for c in name):
        raise TokenError("名称为 1–100 个字符，不含空格", "name")
    if channel not in CLIENT_CHANNELS:
        raise TokenError(f"渠道 {channel} 无效，须为以下之一：{', '.join(CLIENT_CHANNELS)}", "channel")
    if get_client_by_name(session, name) is not None:
        raise TokenError(f"接入系统 {name} 已存在", "name")
    client = ApiClient(name=name, channel=channel, created_at=at)
    session.add(client)
    session.flush()
    row, plain = _new_token(session, at=at, label=label, client=client)
    journal.record(session, kind="client_added", actor=actor, at=at, subject=f"client:{name}",
                   after={**_client_record(client), "token": row.id})
    return client, plain


def issue_client_token(session, *, name, at, actor="cli", label="cli"):
    """A further token for an active client (rotation: revoke the old one after switching)."""
    client = get_client_by_name(session, name)
    if client is None or not client.active:
        raise TokenError(f"未知或已停用的接入系统 {name}", "name")
    row, plain = _new_token(session, at=at, label=label, client=client)
    journal.record(session, kind="client_token_issued", actor=actor, at=at, subject=f"client:{name}",
                   after={"token": row.id})
    return row, plain


def revoke_client(session, *, name, at, actor="cli"):
    """Revoke a client and every token it holds; returns the client. Raises TokenError if unknown."""
    client = get_client_by_name(session, name)
    if client is None:
        raise TokenError(f"未知接入系统 {name}", "name")
    before = _client_record(client)
    client.revoked_at = client.revoked_at or at
    session.execute(update(ApiToken).where(ApiToken.client_id == client.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=at))
    session.flush()
    journal.record(session, kind="client_revoked", actor=actor, at=at, subject=f"client:{name}", before=before,
                   after=_client_record(client))
    return client


def last_used(session, client):
    """When any token of the client was last used, or None."""
    times = [t for t in session.scalars(select(ApiToken.last_used_at).where(ApiToken.client_id == client.id))
             if t is not None]
    return max(times) if times else None


def authenticate(session, token: str, *, at) -> Caller | None:
    """The caller a bearer token stands for, or None if it is unknown, revoked, expired, or its
    user or client is no longer active. Nothing is written (see `note_use`)."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    found = direct.entities(session, _by_hash(), {"token_hash": hash_token(token)}, (ApiToken, User, ApiClient))
    if not found:
        return None
    row, user, client = found[0]
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= at):
        return None
    if row.user_id is not None:
        return Caller(token=row, user=user) if user is not None and user.active else None
    return Caller(token=row, client=client) if client is not None and client.active else None


@cache
def _by_hash():
    # The token with its user or client in one query, built once: asked on every API request
    # (read past SQLAlchemy's execution: engine.direct.entities).
    return (select(*direct.columns(ApiToken), *direct.columns(User), *direct.columns(ApiClient))
            .outerjoin(User, User.id == ApiToken.user_id).outerjoin(ApiClient, ApiClient.id == ApiToken.client_id)
            .where(ApiToken.token_hash == bindparam("token_hash")))


def use_is_due(token_row, at) -> bool:
    """Whether the token's last use should be noted now (at most once a minute)."""
    return token_row.last_used_at is None or at - token_row.last_used_at >= TOUCH_EVERY


def note_use(session, token_id, at):
    """Note a token's use (bookkeeping, not an audit trail)."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at))
