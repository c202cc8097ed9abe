"""Login throttling against password guessing: an account, and an address, may give only so many
wrong passwords within a window (default 5 per account and 20 per address a minute); past that,
every attempt is refused (429, `Retry-After`) without its password being checked, until the oldest
of those failures leaves the window. Counted on the project's clock (tests move simulated time).

Only the failures the limit let through count, so a locked account opens again after one window
however often it is tried meanwhile; a right password clears its account's failures (not its
address's). The account is the name as typed, whether or not it exists: a locked name looks the same
either way (and `service.check_credentials` takes as long for an unknown name).

The store must be shared by every worker and machine: the database by default (a row per failure,
written in the login request's own unit of work), or Redis (`CITYGRID_LOGIN_LIMIT_REDIS_URL`).
Flask-Limiter is not used: it counts on the system's time, not on the project's clock."""
import logging
import math
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Index, String, delete, insert, select, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base
from engine.models import UTCDateTime

from ..errors import Refusal

log = logging.getLogger("citygrid.login")


class TooManyAttempts(Refusal):
    """Too many wrong passwords lately: try again in `retry_after` seconds (429)."""

    status = 429

    def __init__(self, retry_after: int):
        super().__init__(f"登录失败次数过多，请 {retry_after} 秒后再试")
        self.retry_after = retry_after


class LoginFailure(Base):
    """One wrong password: of an account (`account:<name>`) or from an address (`address:<ip>`)."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)


@dataclass(frozen=True)
class Policy:
    account_limit: int = 5
    address_limit: int = 20
    window: timedelta = timedelta(seconds=60)


def policy_from_config(config) -> Policy:
    policy = Policy(account_limit=int(config["CITYGRID_LOGIN_ACCOUNT_LIMIT"]),
                    address_limit=int(config["CITYGRID_LOGIN_ADDRESS_LIMIT"]),
                    window=timedelta(seconds=float(config["CITYGRID_LOGIN_WINDOW_SECONDS"])))
    if policy.account_limit < 1 or policy.address_limit < 1 or policy.window <= timedelta(0):
        raise ValueError("CITYGRID_LOGIN_ACCOUNT_LIMIT, _ADDRESS_LIMIT and _WINDOW_SECONDS must be positive")
    return policy


class DatabaseStore:
    """Failures as rows of `login_failures`. On PostgreSQL an attempt's keys are locked from its check
    to the end of its request (transaction-scoped advisory locks, taken in one order), so concurrent
    guesses at one account are counted one after another and never slip under the limit together;
    SQLite's writers queue anyway (each unit of work begins IMMEDIATE)."""

    LOCKS = 0x6C67   # the advisory locks' first key ("lg"): a space of its own, beside any other lock

    @contextmanager
    def serialised(self, session, keys):
        if session.get_bind().dialect.name == "postgresql":
            for key in sorted(keys):
                session.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
                                {"space": self.LOCKS, "key": key})
        yield

    def recent(self, session, key, since, limit):
        """The newest `limit` failures of `key` after `since`, newest first."""
        return list(session.scalars(select(LoginFailure.at).where(LoginFailure.key == key, LoginFailure.at > since)
                                    .order_by(LoginFailure.at.desc()).limit(limit)))

    def add(self, session, keys, at, window):
        session.execute(insert(LoginFailure), [dict(key=key, at=at) for key in keys])
        # What has left the window counts no more, whoever it was (indexed on `at`).
        session.execute(delete(LoginFailure).where(LoginFailure.at <= at - window))

    def clear(self, session, key):
        session.execute(delete(LoginFailure).where(LoginFailure.key == key))


class RedisStore:
    """Failures as sorted sets (score: the instant on the project's clock), one per key, expiring with
    the window; an attempt's keys are held by Redis locks from its check to its record."""

    PREFIX = "citygrid:login:"

    def __init__(self, url):
        import redis    # only this store needs it (requirements.txt pins it)
        self.redis = redis.Redis.from_url(url)

    @contextmanager
    def serialised(self, session, keys):
        locks = [self.redis.lock(f"{self.PREFIX}lock:{key}", timeout=10, blocking_timeout=10) for key in sorted(keys)]
        held = []
        try:
            for lock in locks:
                if not lock.acquire():
                    raise TimeoutError(f"login limit: {lock.name} is held too long")
                held.append(lock)
            yield
        finally:
            for lock in reversed(held):
                lock.release()

    def recent(self, session, key, since, limit):
        found = self.redis.zrevrangebyscore(self.PREFIX + key, "+inf", f"({since.timestamp()}", start=0, num=limit,
                                            withscores=True)
        return [datetime.fromtimestamp(score, timezone.utc) for _, score in found]

    def add(self, session, keys, at, window):
        pipe = self.redis.pipeline()
        for key in keys:
            pipe.zadd(self.PREFIX + key, {uuid.uuid4().hex: at.timestamp()})
            pipe.zremrangebyscore(self.PREFIX + key, "-inf", (at - window).timestamp())
            pipe.expire(self.PREFIX + key, math.ceil(window.total_seconds()) + 1)
        pipe.execute()

    def clear(self, session, key):
        self.redis.delete(self.PREFIX + key)


def store_from_config(config):
    url = config.get("CITYGRID_LOGIN_LIMIT_REDIS_URL")
    return RedisStore(url) if url else DatabaseStore()


class Limiter:
    """The login limit: a store shared by every process, and its policy."""

    def __init__(self, store, policy: Policy):
        self.store, self.policy = store, policy

    def _wait(self, session, key, limit, now):
        """Seconds until `key` may try again (0: now)."""
        failures = self.store.recent(session, key, now - self.policy.window, limit)
        if len(failures) < limit:
            return 0
        return max(1, math.ceil((failures[-1] + self.policy.window - now).total_seconds()))

    def attempt(self, session, *, username, address, now, verify):
        """Run `verify()` (the password check: a result, or None when it is wrong) unless the account
        or the address is locked (TooManyAttempts); count a failure against both, clear the account's
        failures after a success. Returns what `verify` returned."""
        account = f"account:{username[:100]}"   # a user name has at most 100 characters
        limits = {account: self.policy.account_limit, f"address:{address or '-'}": self.policy.address_limit}
        with self.store.serialised(session, list(limits)):
            wait = max(self._wait(session, key, limit, now) for key, limit in limits.items())
            if wait:
                raise TooManyAttempts(wait)
            result = verify()
            if result is not None:
                self.store.clear(session, account)
                return result
            self.store.add(session, list(limits), now, self.policy.window)
            for key, limit in limits.items():
                wait = self._wait(session, key, limit, now)
                if wait:   # this failure reached the limit: one line per lockout
                    log.warning("login locked: %s after %d wrong passwords within %g s (address %s); refused "
                                "for %d s", key, limit, self.policy.window.total_seconds(), address, wait)
            return None
