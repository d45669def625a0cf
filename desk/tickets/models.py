"""Ticket, its timeline events and attachments, and the per-year reference counters."""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.auth.models import User
from desk.catalog.models import RequestType, TicketKind, kind_type
from desk.core.db import UTCDateTime, utcnow
from desk.extensions import db
from desk.reference.models import Building, Category, Domain, Floor, Queue, Site


class Status(enum.StrEnum):
    """Ticket lifecycle; allowed moves live in `desk.tickets.workflow`."""

    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_ON_REQUESTER = "waiting_on_requester"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset(
    {Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_ON_REQUESTER, Status.REOPENED}
)

FINISHED_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED, Status.CANCELLED})
# Finished and still holding what people wrote: what the retention sweep may erase.
ERASABLE_PREDICATE = "erased_at IS NULL AND status IN ({})".format(
    ", ".join(f"'{s.value}'" for s in sorted(FINISHED_STATUSES))
)
# The predicate of the partial indexes on open tickets (queue lists, overview, SLA sweep).
OPEN_PREDICATE = "status IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(OPEN_STATUSES)))


@functools.cache  # SQL expressions are immutable: built once, shared by every query
def open_clause() -> ColumnElement[bool]:
    """status IN (the open statuses) with the values written inline, not bound: PostgreSQL can
    then match a query against OPEN_PREDICATE's partial indexes even in a generic plan."""
    return status_in(OPEN_STATUSES)


def status_in(statuses: Iterable[Status]) -> ColumnElement[bool]:
    """status IN (...) with the values written inline (they are Status members, never user
    text): a prepared statement's generic plan then still knows them, as open_clause's."""
    return Ticket.status.in_([literal_column(f"'{Status(s).value}'") for s in sorted(statuses)])


class Priority(enum.IntEnum):
    """Higher sorts first."""

    LOW = 1
    NORMAL = 2
    HIGH = 3
    CRITICAL = 4


def _str_enum(cls: type[enum.Enum], length: int) -> Enum:
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class Ticket(db.Model):
    """A request or incident, routed to a domain and a queue."""

    __table_args__ = (
        Index("ix_ticket_queue_status", "queue_id", "status"),
        Index("ix_ticket_requester_created", "requester_id", "created_at"),
        # The retention sweep (desk.privacy): finished tickets not yet erased, by last change.
        Index(
            "ix_ticket_erasable",
            "updated_at",
            postgresql_where=text(ERASABLE_PREDICATE),
            sqlite_where=text(ERASABLE_PREDICATE),
        ),
        # The report's activity: the tickets resolved in a period (desk.sla.activity).
        Index(
            "ix_ticket_resolved_at",
            "resolved_at",
            postgresql_where=text("resolved_at IS NOT NULL"),
            sqlite_where=text("resolved_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[TicketKind] = mapped_column(kind_type())
    request_type_id: Mapped[int] = mapped_column(ForeignKey("request_type.id"), index=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    # The language the requester wrote in (the page's, when the form was sent): what they
    # typed in the subject and form is in it. None for tickets from before it was kept.
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[Status] = mapped_column(_str_enum(Status, 24), default=Status.NEW)
    priority: Mapped[int] = mapped_column(Integer, default=Priority.NORMAL)
    # The validated form, as {field: value}; rendered with the form's labels.
    data: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=dict
    )
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    floor_id: Mapped[int | None] = mapped_column(ForeignKey("floor.id"))
    # Set from the form's one-time token: a double submit finds the first ticket.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # SLA (business-hours due dates computed by desk.sla; UTC). `*_warn_at` is when the
    # warning threshold is crossed; while waiting on the requester the clock is paused.
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_response_warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sla_paused_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When each target started counting for this ticket: its creation, or the time the
    # target came to its request type (a policy given later, a target added to one) or to
    # the ticket (reopened under a target it never had). None: no such target applies.
    first_response_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_response_met: Mapped[bool | None] = mapped_column(Boolean)
    resolution_met: Mapped[bool | None] = mapped_column(Boolean)
    # The e-mail that filed it (its Message-ID and References, desk.inbound): each of its
    # e-mails answers it, so the sender's mail client shows them in the thread of the message
    # they sent (RFC 5322 §3.6.4). None: filed on a page, or a message with no Message-ID.
    filed_by_mail: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    )
    # When the retention sweep erased what people wrote in it (desk.privacy); None: kept.
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Optimistic concurrency: every UPDATE checks and bumps it (no lost updates).
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    request_type: Mapped[RequestType] = relationship()
    domain: Mapped[Domain] = relationship()
    category: Mapped[Category] = relationship()
    queue: Mapped[Queue] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    site: Mapped[Site | None] = relationship()
    building: Mapped[Building | None] = relationship()
    floor: Mapped[Floor | None] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def display_subject(self) -> str:
        """The subject in the reader's language.

        Subjects are stored as the request type's French title, then what identifies this
        request (a PC name, a list name...). The title part is shown in the reader's language
        from the request type; what the requester typed is shown as typed.
        """
        return localized_subject(
            self.subject,
            self.request_type.title_fr if self.request_type else "",
            self.request_type.title if self.request_type else "",
        )


def locked_ticket(ticket_id: int) -> Ticket | None:
    """The ticket read afresh, its row locked until the transaction ends: the SLA sweep and a
    calendar's recompute take a ticket so, one after the other."""
    return db.session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def localized_subject(subject: str, title_fr: str, title: str) -> str:
    """`subject` with its leading French request-type title replaced by `title`."""
    if title_fr and title and subject.startswith(title_fr):
        return title + subject[len(title_fr) :]
    return subject


class EventKind(enum.StrEnum):
    """What a timeline entry records."""

    CREATED = "created"  # `field` "intake" when staff filed it for the requester
    CHANGE = "change"  # a field changed: `field`, old -> new
    REPLY = "reply"  # a technician's public answer
    COMMENT = "comment"  # the requester's message
    NOTE = "note"  # internal note: never shown to the requester
    SYSTEM = "system"  # SLA events, automatic actions


class Intake(enum.StrEnum):
    """How a request that staff filed for its requester reached them (a CREATED event's
    `new_value`): the phone calls and counter visits of a service desk."""

    PHONE = "phone"
    IN_PERSON = "in_person"
    EMAIL = "email"
    OTHER = "other"


class TicketEvent(db.Model):
    """One entry of a ticket's history and timeline."""

    __table_args__ = (Index("ix_ticket_event_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[EventKind] = mapped_column(_str_enum(EventKind, 16))
    field: Mapped[str | None] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # The language `body` was written in (desk.core.i18n.typed_language): the page's for words
    # typed on a page, the one a mail declared for words sent by e-mail; None when unknown.
    # Shown on pages and in mails of another language with its `lang` (RGAA 8.7).
    language: Mapped[str | None] = mapped_column(String(8))
    # True for internal notes and anything else a requester must never see.
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(back_populates="event")


class Attachment(db.Model):
    """A file of a ticket, served only through the ticket access check.

    Its bytes live in `attachment_content`, in the same database and transaction as the row
    (see AttachmentContent): every web host reads them, and no file outlives a rollback.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_event.id"))
    uploader_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[TicketEvent | None] = relationship(back_populates="attachments")
    # Written with the row; never loaded with it (lists of attachments stay light).
    content: Mapped[AttachmentContent] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class AttachmentContent(db.Model):
    """The bytes of one attachment, apart from its row so that lists never load them.

    Why the database and not a disk or an object store: desk runs on several web hosts that
    all serve downloads (README, "Scaling out"); PostgreSQL is already shared by all of them,
    backed up, and transactional, so a file is saved or rolled back with its ticket. Files are
    small (DESK_MAX_UPLOAD_MB, 10 MB by default) and few per ticket: a `bytea` column (TOAST
    stores it out of line, compressed when it helps) serves them without large-object
    bookkeeping, and works the same on SQLite for `make run`.
    """

    __tablename__ = "attachment_content"

    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)


class TicketCounter(db.Model):
    """Last number used per kind and year; bumped in the ticket's transaction (no gaps)."""

    kind: Mapped[TicketKind] = mapped_column(kind_type(), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
