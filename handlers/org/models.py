"""The tables of the organisation: units (a tree by parent code) and users (one unit, one role)."""
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash

from engine.db import Base

KINDS = ("center", "district", "street", "community", "grid", "department")
ROLES = ("intake", "dispatcher", "shiftlead", "officer", "grid", "owner", "auditor", "admin")


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
