"""The outbox row (one message to one person on one channel) and e-mail preferences."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.auth.models import User
from desk.core.db import UTCDateTime, utcnow
from desk.core.i18n import lazy_gettext as _l
from desk.extensions import db


class NotificationEvent(enum.StrEnum):
    """What happened; a message that merges several events is filed under the main one."""

    SUBMITTED = "submitted"
    ASSIGNED = "assigned"
    TRANSFERRED = "transferred"
    # staff: a colleague transferred a ticket they held to a queue they do not work
    TRANSFERRED_AWAY = "transferred_away"
    # staff: a colleague took a ticket they held (claimed it, gave it to someone else, or put
    # it back in its queue): they may be writing to its requester at that very moment
    TAKEN_OVER = "taken_over"
    # staff: a colleague resolved, closed or cancelled (also as a duplicate) a ticket they
    # hold: they may be on their way to it, or writing to its requester
    FINISHED = "finished"
    RETURNED = "returned"  # staff: a ticket of one of their queues is back without a technician
    NOTED = "noted"  # staff: a colleague asks them to read an internal note
    FOLLOW_UP = "follow_up"  # staff: a reminder they set on a ticket is due (desk.followups)
    REPLIED = "replied"  # a technician's public reply
    COMMENTED = "commented"  # the requester wrote
    WAITING = "waiting"  # status waiting_on_requester
    RESOLVED = "resolved"
    CLOSED = "closed"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    REMINDER = "reminder"  # still waiting on the requester after N business days
    NEW_TICKET = "new_ticket"  # staff: a new ticket in one of their queues (or a digest of them)
    REOPENED = "reopened"  # staff: the requester reopened a resolved ticket
    CANCELLED = "cancelled"  # staff: the requester withdrew a ticket they hold
    INBOUND_ALERT = "inbound_alert"  # admins: incoming mail needs them (desk.inbound.alerts)
    DISRUPTION_ENDED = "disruption_ended"  # a disruption one follows is over (desk.status)
    WATCHER_ADDED = "watcher_added"  # someone put me in copy of a ticket (desk.watchers)
    # The answer to an e-mail sent to a request that no longer takes messages (closed,
    # cancelled, or resolved past its reopening window): not added (desk.inbound.answers).
    REPLY_REFUSED = "reply_refused"
    # The answer to an e-mail reply held because one of its files was refused (type, size,
    # content): not added, and it says which file and why (desk.inbound.answers).
    FILE_REFUSED = "file_refused"
    # A switch, never sent: the COMMENTED news that reaches a requester (from someone in copy)
    # or someone in copy (from the requester or another) answers to it, apart from the staff's
    # "a requester writes" (see switch_for).
    FOLLOWED_MESSAGE = "followed_message"


# Which event names a merged message: the most important comes first.
EVENT_PRIORITY = (
    NotificationEvent.SUBMITTED,
    NotificationEvent.NEW_TICKET,
    NotificationEvent.SLA_BREACHED,
    NotificationEvent.SLA_WARNING,
    NotificationEvent.WAITING,
    NotificationEvent.REMINDER,
    NotificationEvent.REOPENED,
    NotificationEvent.CANCELLED,
    NotificationEvent.RESOLVED,
    NotificationEvent.CLOSED,
    NotificationEvent.ASSIGNED,
    NotificationEvent.TRANSFERRED,
    NotificationEvent.TRANSFERRED_AWAY,
    NotificationEvent.TAKEN_OVER,
    NotificationEvent.FINISHED,
    NotificationEvent.RETURNED,
    NotificationEvent.NOTED,
    NotificationEvent.FOLLOW_UP,
    NotificationEvent.REPLIED,
    NotificationEvent.COMMENTED,
    NotificationEvent.WATCHER_ADDED,
    NotificationEvent.REPLY_REFUSED,
    NotificationEvent.FILE_REFUSED,
    NotificationEvent.INBOUND_ALERT,
    NotificationEvent.DISRUPTION_ENDED,
)

# The acknowledgement and "waiting on you" (with its reminder) are part of the service, not
# news: a requester who could switch them off would miss what the desk needs from them. The
# answer to an e-mail that could not be added is no news either, but the reply to what they
# just sent: without it they would believe they were heard (not on the preferences page,
# where there is nothing to choose).
MANDATORY_EVENTS = frozenset(
    {
        NotificationEvent.SUBMITTED,
        NotificationEvent.WAITING,
        NotificationEvent.REMINDER,
        NotificationEvent.REPLY_REFUSED,
        NotificationEvent.FILE_REFUSED,
    }
)
# Receipts of the recipient's own act, by e-mail only: not news for their bell.
EMAIL_ONLY_EVENTS = frozenset(
    {NotificationEvent.SUBMITTED, NotificationEvent.REPLY_REFUSED, NotificationEvent.FILE_REFUSED}
)
# What the staff hear of the tickets they handle: the preferences page offers these switches
# to technicians and admins only (desk.notifications.views).
STAFF_EVENTS = (
    NotificationEvent.ASSIGNED,
    NotificationEvent.TRANSFERRED,
    NotificationEvent.TRANSFERRED_AWAY,
    NotificationEvent.TAKEN_OVER,
    NotificationEvent.FINISHED,
    NotificationEvent.RETURNED,
    NotificationEvent.NOTED,
    NotificationEvent.FOLLOW_UP,
    NotificationEvent.COMMENTED,
    NotificationEvent.REOPENED,
    NotificationEvent.CANCELLED,
    NotificationEvent.SLA_WARNING,
    NotificationEvent.SLA_BREACHED,
)

# RFC 3834: the e-mails that answer a message someone just sent desk are "auto-replied": the
# answers to an e-mail it could not take, and the acknowledgement of a request received by
# e-mail (its SUBMITTED item says `by_email`). Every other one, caused by no message sent to
# desk (status news, digests, reminders, the admins' alerts), is "auto-generated".
ANSWER_EVENTS = frozenset({NotificationEvent.REPLY_REFUSED, NotificationEvent.FILE_REFUSED})


def auto_submitted(events: list[dict[str, Any]]) -> str:
    """The Auto-Submitted value of an e-mail telling these events (a payload's "events")."""
    for item in events:
        event = item.get("event")
        if event in ANSWER_EVENTS or (
            event == NotificationEvent.SUBMITTED and item.get("by_email")
        ):
            return "auto-replied"
    return "auto-generated"


def answered_message(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The message someone sent desk that an e-mail row answers (its Message-ID and
    References, desk.inbound.parsing.IncomingMail.answered), if any: an alert's own, or one
    of its events', else the e-mail that filed its ticket. Each later e-mail of a ticket
    filed by e-mail answers that one, not only the ticket's root (which no mailbox holds), so
    that the sender's client (Thunderbird, Outlook, Gmail) threads it under what they sent."""
    if isinstance(payload.get("answers"), dict):
        return payload["answers"]
    for item in payload.get("events") or []:
        if isinstance(item, dict) and isinstance(item.get("answers"), dict):
            return item["answers"]
    if isinstance(payload.get("filed_by_mail"), dict):
        return payload["filed_by_mail"]
    return None


EVENT_LABELS = {
    NotificationEvent.SUBMITTED: _l("Acknowledgement of a new request"),
    NotificationEvent.ASSIGNED: _l("A ticket is assigned to me"),
    NotificationEvent.TRANSFERRED: _l("A ticket is transferred to one of my queues"),
    NotificationEvent.TRANSFERRED_AWAY: _l(
        "A colleague transfers a ticket I hold to a queue I do not work"
    ),
    NotificationEvent.TAKEN_OVER: _l(
        "A colleague takes a ticket I hold, gives it to someone else or puts it back in its queue"
    ),
    NotificationEvent.FINISHED: _l("A colleague resolves, closes or cancels a ticket I hold"),
    NotificationEvent.RETURNED: _l("A ticket of one of my queues is back without a technician"),
    NotificationEvent.NOTED: _l("A colleague asks me to read an internal note"),
    NotificationEvent.FOLLOW_UP: _l("A reminder I set on a ticket is due"),
    NotificationEvent.REPLIED: _l("A technician replies to my request"),
    NotificationEvent.COMMENTED: _l("A requester, or someone in copy, writes on a ticket I handle"),
    NotificationEvent.WAITING: _l("The desk is waiting for my answer (and its reminder)"),
    NotificationEvent.RESOLVED: _l("My request is resolved"),
    NotificationEvent.CLOSED: _l("My request is closed"),
    NotificationEvent.SLA_WARNING: _l("A ticket is about to miss its deadline"),
    NotificationEvent.SLA_BREACHED: _l("A ticket has missed its deadline"),
    NotificationEvent.REMINDER: _l("Reminder: the desk is waiting for my answer"),
    NotificationEvent.NEW_TICKET: _l("A new ticket arrives in one of my queues"),
    NotificationEvent.REOPENED: _l("A requester reopens a ticket I handle"),
    NotificationEvent.CANCELLED: _l("A requester cancels a ticket I hold"),
    NotificationEvent.INBOUND_ALERT: _l("Incoming e-mail needs an administrator"),
    NotificationEvent.DISRUPTION_ENDED: _l("A disruption I follow is over"),
    NotificationEvent.WATCHER_ADDED: _l("Someone puts me in copy of a request"),
    NotificationEvent.REPLY_REFUSED: _l("My e-mail could not be added to a closed request"),
    NotificationEvent.FILE_REFUSED: _l("My e-mail could not be added because of a file"),
    NotificationEvent.FOLLOWED_MESSAGE: _l(
        "Someone in copy writes on my request, or someone writes on a request I am in copy of"
    ),
}


def switch_for(event: NotificationEvent, role: str | None) -> NotificationEvent:
    """The e-mail switch that governs `event` for a recipient of `role` ("requester",
    "watcher" or "staff"): a message between the people a request is about is not the
    staff's "a requester writes on a ticket I handle"."""
    if event is NotificationEvent.COMMENTED and role in ("requester", "watcher"):
        return NotificationEvent.FOLLOWED_MESSAGE
    return event


class Channel(enum.StrEnum):
    EMAIL = "email"
    INAPP = "inapp"


class DeliveryStatus(enum.StrEnum):
    """pending → sending → sent, or back to pending (retry), or failed (given up, or
    uncertain: handed over to the server without an answer; see notifications.delivery), or
    withdrawn (no longer news when its time came: a new ticket held for the business hours
    and taken, finished or moved to another queue meanwhile; never sent, never retried)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


# Every status but 'sent': the rows the delivery still handles and those never sent, which
# /metrics counts by status (desk.core.metrics) at every scrape.
_UNSENT_STATUSES = "status IN ('pending', 'sending', 'failed', 'withdrawn')"
# Queries that mean to use it write both values inline (`inline`), not bound.
_EMAIL_DUE = "status = 'pending' AND channel = 'email'"


def inline(value: enum.StrEnum) -> ColumnElement[str]:
    """An enum value written into the SQL (not bound), so that PostgreSQL can match a query
    against the partial indexes below even when it reuses a generic plan."""
    return literal_column(f"'{value.value}'")


def _str_enum(cls: type[enum.Enum], length: int) -> Enum:
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class Notification(db.Model):
    """One message to one recipient on one channel, written in the transaction of its cause."""

    __table_args__ = (
        # Partial indexes: a sent e-mail (most rows) leaves the first and never enters the
        # second, so delivery's two UPDATEs touch fewer indexes.
        # The delivery sweep (due pending rows, stale sending rows), the failed list and the
        # outbox gauge's count by status.
        Index(
            "ix_notification_status_due",
            "status",
            "next_attempt_at",
            postgresql_where=text(_UNSENT_STATUSES),
            sqlite_where=text(_UNSENT_STATUSES),
        ),
        # The drain's claim: the oldest due e-mails, in the order it takes them. An index scan
        # here stops after its LIMIT and marks the entries of rows already sent as dead as it
        # passes them (a bitmap scan of the index above cannot): between two vacuums, the
        # claim no longer visits every row sent since the last one.
        Index(
            "ix_notification_email_due",
            "next_attempt_at",
            "id",
            postgresql_where=text(_EMAIL_DUE),
            sqlite_where=text(_EMAIL_DUE),
        ),
        # The retention sweep (desk.privacy): the messages about no ticket, by age (digests,
        # alerts, disruptions; those of a ticket go with it).
        Index(
            "ix_notification_untied",
            "created_at",
            postgresql_where=text("ticket_id IS NULL"),
            sqlite_where=text("ticket_id IS NULL"),
        ),
        # The bell: COUNT of a user's unread in-app rows.
        Index(
            "ix_notification_inbox",
            "recipient_id",
            "read_at",
            postgresql_where=text("channel = 'inapp'"),
            sqlite_where=text("channel = 'inapp'"),
        ),
        # The notification list, newest first, page after page (keyset on the id): one user's
        # rows in the order shown. Without it PostgreSQL could walk the primary key backwards
        # through everybody's rows (0.64 s for a user with 40 among 2,000,000).
        Index(
            "ix_notification_inbox_list",
            "recipient_id",
            "id",
            postgresql_where=text("channel = 'inapp'"),
            sqlite_where=text("channel = 'inapp'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[NotificationEvent] = mapped_column(_str_enum(NotificationEvent, 24))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = mapped_column(_str_enum(Channel, 8))
    # Everything needed to render the message later, in the recipient's language.
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=dict
    )
    # Same cause, same recipient, same channel → same key: a second insert is a no-op.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        _str_enum(DeliveryStatus, 10), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Not before: quiet hours and retry backoff push it into the future.
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a worker took the row; a "sending" row older than the timeout lost its worker.
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When this attempt had sent the whole message but its final dot: from then on the
    # server may accept it, so a worker lost afterwards makes the row uncertain, not resent.
    data_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    recipient: Mapped[User] = relationship()

    @property
    def events(self) -> list[dict[str, Any]]:
        """The merged events of this message, in the order they happened."""
        return list(self.payload.get("events", []))


class NotificationPreference(db.Model):
    """A user's choice to receive an event by e-mail; no row means yes."""

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    event: Mapped[NotificationEvent] = mapped_column(
        _str_enum(NotificationEvent, 24), primary_key=True
    )
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class NewTicketMode(enum.StrEnum):
    """How a staff member hears of new tickets in their queues."""

    EACH = "each"  # a bell entry and an e-mail per ticket
    DIGEST = "digest"  # a bell entry per ticket; e-mail: one list now and then
    NONE = "none"  # nothing (they watch the queue pages)


NEW_TICKET_MODE_LABELS = {
    NewTicketMode.EACH: _l("Each new ticket (in the app and by e-mail)"),
    NewTicketMode.DIGEST: _l("A digest e-mail listing the new tickets (each one stays in the app)"),
    NewTicketMode.NONE: _l("Nothing: I watch my queues myself"),
}


class NewTicketPreference(db.Model):
    """A staff member's choice for new tickets in their queues; no row means each ticket."""

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[NewTicketMode] = mapped_column(
        _str_enum(NewTicketMode, 10), default=NewTicketMode.EACH
    )
    # The next digest lists the tickets created after this instant; each digest moves it on.
    digest_since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
