"""The org tree of units (city command center, districts, streets, communities, grids, city
departments) and the users who belong to them, with their roles."""
from threading import Lock

from sqlalchemy import ForeignKey, String, Boolean, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from engine.db import Base

KINDS = ("center", "district", "street", "community", "grid", "department")
ROLES = ("intake", "dispatcher", "shiftlead", "officer", "grid", "owner", "auditor", "admin")
CENTER_ROLES = ("intake", "dispatcher", "shiftlead")
SEE_ALL_ROLES = ("intake", "dispatcher", "shiftlead", "owner", "auditor", "admin")


class Unit(Base):
    __tablename__ = "units"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), index=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)


class OrgError(ValueError):
    """An org-tree or user operation that is not valid."""


class Directory:
    """An in-memory copy of the org tree (small, read on every step); reloaded after changes."""

    def __init__(self, database):
        self._db = database
        self._units = None
        self._lock = Lock()

    def _load(self):
        with self._lock:
            if self._units is None:
                rows = self._db.read(select(Unit.code, Unit.name, Unit.kind, Unit.parent_code))
                self._units = {code: (name, kind, parent) for code, name, kind, parent in rows}
            return self._units

    def invalidate(self):
        with self._lock:
            self._units = None

    def get(self, code):
        return self._load().get(code)

    def exists(self, code):
        return code in self._load()

    def name(self, code):
        unit = self.get(code)
        return unit[0] if unit else code

    def kind(self, code):
        unit = self.get(code)
        return unit[1] if unit else None

    def parent(self, code):
        unit = self.get(code)
        return unit[2] if unit else None

    def children(self, code):
        return [c for c, (_, _, parent) in self._load().items() if parent == code]

    def center(self):
        return next(c for c, (_, kind, _) in self._load().items() if kind == "center")

    def ancestors(self, code):
        """The chain from the unit up to the root, the unit first."""
        chain = []
        while code is not None and code not in chain:
            chain.append(code)
            code = self.parent(code)
        return chain

    def is_within(self, code, ancestor):
        return ancestor in self.ancestors(code)

    def district_of(self, code):
        return next((c for c in self.ancestors(code) if self.kind(c) == "district"), None)


def create_unit(session, *, code, name, kind, parent_code=None):
    """Add a unit to the tree."""
    if kind not in KINDS:
        raise OrgError(f"unknown unit kind {kind!r}")
    unit = Unit(code=code, name=name, kind=kind, parent_code=parent_code)
    session.add(unit)
    return unit


def create_user(session, *, username, password, role, unit_code, display_name=""):
    """Add a user with a hashed password."""
    if role not in ROLES:
        raise OrgError(f"unknown role {role!r}")
    if session.get(Unit, unit_code) is None:
        raise OrgError(f"unknown unit {unit_code!r}")
    user = User(username=username, password_hash=generate_password_hash(password), role=role,
                unit_code=unit_code, display_name=display_name or username)
    session.add(user)
    return user


def get_user_by_username(session, username):
    return session.scalar(select(User).where(User.username == username))
