"""SLA settings (named business calendars, one policy per request type) and the event ledger."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from desk.catalog.models import RequestType
from desk.core.db import UTCDateTime, utcnow
from desk.core.i18n import LocalName
from desk.extensions import db
from desk.tickets.models import OPEN_PREDICATE, Ticket

_JSON = JSON().with_variant(JSONB(), "postgresql")
ALL_DAY = [["00:00", "24:00"]]
# How long before its holidays end a calendar asks for the next year's (the quarter before).
HOLIDAYS_NOTICE = dt.timedelta(days=92)


class SlaCalendar(LocalName, db.Model):
    """Opening hours in a time zone, minus holidays; the SLA clock only runs while open."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # French, unique (the reference file finds a calendar by it); English optional.
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    # {"0": [["08:00", "12:00"], ["13:30", "17:00"]], ...}: JSON keys are strings, 0 = Monday.
    weekly_hours: Mapped[dict[str, Any]] = mapped_column(_JSON, default=dict)
    # Sorted ISO dates ("2026-12-25") of whole closed days.
    holidays: Mapped[list[str]] = mapped_column(_JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_24_7(self) -> bool:
        """Open round the clock every day (holidays aside)."""
        return all(self.weekly_hours.get(str(d)) == ALL_DAY for d in range(7))

    @property
    def holidays_until(self) -> int | None:
        """The last year its holidays cover (that of the last date listed); None without any."""
        return max((int(day[:4]) for day in self.holidays), default=None)

    def holidays_run_out(self, today: dt.date) -> bool:
        """Whether the holidays it lists end within HOLIDAYS_NOTICE of `today`, or have ended.
        They are dates, added a few years at a time: past the last year, the clock would run
        on public holidays and due dates would fall on them, unnoticed. A calendar without any
        holiday is one that keeps none, and never runs out."""
        until = self.holidays_until
        return until is not None and today + HOLIDAYS_NOTICE > dt.date(until, 12, 31)

    def __repr__(self) -> str:
        return f"<SlaCalendar {self.name!r}>"


class SlaPolicy(db.Model):
    """Targets of one request type, in business minutes of its calendar."""

    id: Mapped[int] = mapped_column(primary_key=True)
    request_type_id: Mapped[int] = mapped_column(
        ForeignKey("request_type.id", ondelete="CASCADE"), unique=True
    )
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendar.id"), index=True)
    # None: no target of that kind (e.g. a licence request has no first-response target).
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    # Warn when this share of the target has elapsed.
    warning_percent: Mapped[int] = mapped_column(Integer, default=75)
    # When each target came to the request type (None: no such target). The open tickets
    # filed before count it from then, whenever the recompute runs: `updated_at` moved with
    # every later save (a warning threshold, a calendar), and a worker down when the target
    # was added counted it from that save instead.
    first_response_added_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_added_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    request_type: Mapped[RequestType] = relationship()
    calendar: Mapped[SlaCalendar] = relationship()

    @validates("first_response_minutes", "resolution_minutes")
    def _target_set(self, key: str, minutes: int | None) -> int | None:
        # Set with the target, so in the transaction that adds it (admin form, reference file).
        name = key.removesuffix("_minutes")
        if not minutes:
            setattr(self, f"{name}_added_at", None)
        elif not getattr(self, key):
            setattr(self, f"{name}_added_at", utcnow())
        return minutes

    @validates("request_type_id", "request_type")
    def _moved(self, key: str, value: Any) -> Any:
        # Given to another request type, its targets come to that type's tickets now.
        old = getattr(self, key)
        if old is not None and old != value:
            for name in ("first_response", "resolution"):
                if getattr(self, f"{name}_minutes"):
                    setattr(self, f"{name}_added_at", utcnow())
        return value

    def target_added_at(self, name: str) -> dt.datetime:
        """When target `name` came to the request type (a policy from before this was kept:
        its last save, the latest it can have been)."""
        return getattr(self, f"{name}_added_at") or self.updated_at


class SlaEventKind(enum.StrEnum):
    """A threshold the sweep records once per ticket and deadline."""

    FIRST_RESPONSE_WARNING = "first_response_warning"
    FIRST_RESPONSE_BREACH = "first_response_breach"
    RESOLUTION_WARNING = "resolution_warning"
    RESOLUTION_BREACH = "resolution_breach"

    @property
    def is_breach(self) -> bool:
        return self.value.endswith("_breach")


class SlaEvent(db.Model):
    """One crossed threshold. The unique key makes the sweep's INSERT the exactly-once gate:
    a second sweep (another beat, a retry, a redelivered task) hits the conflict and stops."""

    __table_args__ = (UniqueConstraint("ticket_id", "kind", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # The instant that was crossed (the warning time or the due date).
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# The sweep looks up running tickets (open, clock not paused) by each threshold column
# (`col <= now`). The indexes hold those tickets only: plain ones held the whole history, so the
# breach sweep walked every closed ticket ever due (846,120 rows, 0.54 s a run at 1,000,000
# tickets), and PostgreSQL preferred the one on resolution_due_at to a queue's own index for a
# queue list of all statuses (reading the other queues' rows to skip them). Declared here (not
# on the shared Ticket model) so they travel with the SLA feature and its migration.
RUNNING_PREDICATE = f"{OPEN_PREDICATE} AND sla_paused_since IS NULL"
AWAITING_RESPONSE_PREDICATE = f"{RUNNING_PREDICATE} AND first_responded_at IS NULL"


def _sweep_index(column: str, predicate: str) -> Index:
    where = text(predicate)
    return Index(
        f"ix_ticket_running_{column}",
        getattr(Ticket, column),
        postgresql_where=where,
        sqlite_where=where,
    )


# The reports (SLA, satisfaction) count the tickets created in a period. An admin's report has
# no queue to narrow it, so without this it read the whole history (about 0.3 s at 1,000,000
# tickets). A BRIN index: tickets are written in creation order, so a block range holds a
# narrow span of creation dates, and the index is a few pages that an insert rarely touches
# (a B-tree on created_at would cost every submission one more index entry). minmax-multi
# ops, because a ticket updated later moves to a recent block: a plain min/max range would
# then stretch back to its old date. SQLite: never used (an empty partial index).
REPORT_INDEX = Index(
    "brin_ticket_created_at",
    Ticket.__table__.c.created_at,
    postgresql_using="brin",
    postgresql_ops={"created_at": "timestamptz_minmax_multi_ops"},
    postgresql_with={"pages_per_range": 32, "autosummarize": "on"},
    sqlite_where=text("0 = 1"),
)

SWEEP_INDEXES = [
    _sweep_index("first_response_warn_at", AWAITING_RESPONSE_PREDICATE),
    _sweep_index("first_response_due_at", AWAITING_RESPONSE_PREDICATE),
    _sweep_index("resolution_warn_at", RUNNING_PREDICATE),
    _sweep_index("resolution_due_at", RUNNING_PREDICATE),
]
