"""The tables of the organisation: units (a tree by parent code, each with an optional centre point
for the map; deactivated rather than deleted, since cases keep naming them) and users (one unit, one
role)."""
from sqlalchemy import Boolean, Float, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash

from engine.db import Base

KINDS = ("center", "district", "street", "community", "grid", "department")
# `supervisor`: the read-only supervising levels (三级监督): 市城管委 and 市城管办 at the center (the whole
# city), a 区政府 at its district (its subtree).
ROLES = ("intake", "dispatcher", "shiftlead", "officer", "grid", "owner", "auditor", "admin", "supervisor")


class Unit(Base):
    __tablename__ = "units"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), index=True)
    # The unit's centre (WGS-84): where the map places a report that came without coordinates.
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    # A deactivated unit keeps its name and place in the tree (history, past evaluations) but takes
    # no new work: no dispatch to it, no report located in it (`admin_units.deactivate`).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


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
