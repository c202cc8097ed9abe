"""The tables of a case: its summary row (the report as given, and what is derived from the
process after every step), and the units that see it (the index its visibility is asked on).

The case list's indexes are declared here beside the columns they serve: every filter of
`search.conditions` has one, and they end on (reported_at, id), the list's order, so that a page of
an equality filter is read in order from its index rather than sorted, and the page of a window (a
range of filing, deadline or closing instants) is sorted from its index alone; the status index
holds the other equality filters after the order, so the few open cases are checked off it alone. `overdue_from` is
stored so that "overdue" is one range on an index (it compared two columns of every case); the
case number's parts (`number_search`) and the units that see a case (`CaseUnit`, with the case's
report instant, so that a unit's pages are read in order off its index) are tables of their own."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base
from engine.models import UTCDateTime


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(20), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), unique=True)
    # the case process it was started on (chosen by the routing table when it was filed)
    process_id: Mapped[str] = mapped_column(String(200), default="case_handling", server_default="case_handling")
    # the report, as given
    channel: Mapped[str] = mapped_column(String(20))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(6))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(500), default="")
    community: Mapped[str | None] = mapped_column(String(20), index=True)
    grid: Mapped[str | None] = mapped_column(String(30), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    suggested_urgency: Mapped[str | None] = mapped_column(String(1))
    fixed_on_spot: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter: Mapped[str | None] = mapped_column(String(100))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)       # the list's order: ix_cases_reported_at_id
    # derived from the instance after every step (cases.summary)
    status: Mapped[str] = mapped_column(String(20), default="accepting")
    urgency: Mapped[str | None] = mapped_column(String(1))
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    holder_unit: Mapped[str | None] = mapped_column(String(20), index=True)
    handler_unit: Mapped[str | None] = mapped_column(String(20), index=True)
    reached: Mapped[list] = mapped_column(JSON, default=list)   # cases.visibility.units_of; indexed in case_units
    merged_into: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # overdue at any instant from this one on (deadlines.overdue_from: the deadline while open, the
    # epoch once ended late, None when not filed or ended in time), derived with due_at and closed_at
    overdue_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("channel", "external_ref"),
        # the list's order, and per equality filter that order within it (a page read off the index)
        Index("ix_cases_reported_at_id", "reported_at", "id"),
        # with the other equality filters after the order: a few open cases checked off the index alone
        Index("ix_cases_status_reported_at_id", "status", "reported_at", "id", "category", "urgency", "channel"),
        # a dense status's total counted off the status alone: a far smaller index (migration 0021)
        Index("ix_cases_status", "status"),
        Index("ix_cases_category_reported_at_id", "category", "reported_at", "id"),
        Index("ix_cases_channel_reported_at_id", "channel", "reported_at", "id"),
        Index("ix_cases_urgency_reported_at_id", "urgency", "reported_at", "id"),
        # the windows and the overdue range, with the order: a window's page sorted off its index alone
        Index("ix_cases_filed_at_reported_at_id", "filed_at", "reported_at", "id"),
        Index("ix_cases_due_at_reported_at_id", "due_at", "reported_at", "id"),
        Index("ix_cases_closed_at_reported_at_id", "closed_at", "reported_at", "id"),
        Index("ix_cases_overdue_from_reported_at_id", "overdue_from", "reported_at", "id", "filed_at"),   # light=red
    )

    @property
    def undertaker(self):
        """承办单位: the unit answerable for the handling (its handler once one took it on, before
        that its holder), never the grid that checks the result or the center that closes it."""
        return self.handler_unit or self.holder_unit


# The case's columns copied onto each of its `case_units` rows (the case row's listener, `summary`,
# writes them with the case's): the filters a unit's list is read by off its own rows' indexes.
UNIT_COPIES = ("status", "category", "channel", "urgency", "filed_at", "due_at", "warn_at", "closed_at",
               "overdue_from", "community", "grid", "holder_unit", "handler_unit")
# the place columns among them, checked off the unit's ordered index (`unit` and `area` filters)
UNIT_PLACES = ("community", "grid", "holder_unit", "handler_unit")


class CaseUnit(Base):
    """One unit that sees a case (`visibility`): a unit the case belongs to (where it is, or a unit
    it reached: `reached`) or any unit above one of them. Visibility is then one equality, the
    user's own unit, on the (unit_code, reported_at, case_id) index: the case's report instant (it
    never changes) is copied here so that the unit's cases are read off that index in the list's
    order, a deep page skipped there without touching a case.

    The list's filter columns are copied here too (`UNIT_COPIES`), each with an index of the unit's
    rows ending on the list's order (the places: after the order, on its index): a unit's list with
    those filters is counted and paged off its own rows alone. Looking each of a street's 20,000
    cases up to check a filter cost 20-60 ms at 100,000 cases; the copies cost one more UPDATE, of a
    case's five or so rows, when one of them changes."""

    __tablename__ = "case_units"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(30), primary_key=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)        # the case's
    # the case's, as it is now (UNIT_COPIES)
    status: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(6))
    channel: Mapped[str | None] = mapped_column(String(20))
    urgency: Mapped[str | None] = mapped_column(String(1))
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    community: Mapped[str | None] = mapped_column(String(20))
    grid: Mapped[str | None] = mapped_column(String(30))
    holder_unit: Mapped[str | None] = mapped_column(String(20))
    handler_unit: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        # the unit's list in order, with the places after it: the `unit` and `area` filters, which
        # no one index answers (an OR of several columns), checked off this index alone
        Index("ix_case_units_unit_code_reported_at_case_id", "unit_code", "reported_at", "case_id", *UNIT_PLACES),
        # the unit's cases in id order: the set PostgreSQL meets a filter's matches with (merged or hashed)
        Index("ix_case_units_unit_code_case_id", "unit_code", "case_id"),
        # a unit's list by each filter it is read by, in the list's order within it; the status
        # index holds the other equality filters after the order (its few open cases checked off it)
        Index("ix_case_units_unit_code_status", "unit_code", "status", "reported_at", "case_id",
              "category", "urgency", "channel"),
        *(Index(f"ix_case_units_unit_code_{column}", "unit_code", column, "reported_at", "case_id")
          for column in ("category", "channel", "urgency", "filed_at", "due_at", "closed_at", "overdue_from")),
    )
