"""What desk did with each message it read: the ledger that makes processing exactly-once."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from desk.core.db import UTCDateTime, utcnow
from desk.extensions import db
from desk.tickets.models import Ticket


class InboundStatus(enum.StrEnum):
    APPENDED = "appended"  # the words are on the ticket
    HELD = "held"  # nothing appended: an admin reads the reason (and the kept original)
    IGNORED = "ignored"  # an auto-reply or a bounce: nothing appended, nothing answered
    FAILED = "failed"  # could not be processed (malformed, too large, an error): in "failed"


class HoldReason(enum.StrEnum):
    """Why a message was held or ignored; rendered in the reader's language at display time."""

    BAD_SIGNATURE = "bad_signature"  # a reply address of ours whose HMAC is wrong
    NO_TICKET = "no_ticket"  # nothing links it to a ticket (or the sender may not use the subject)
    UNKNOWN_SENDER = "unknown_sender"  # no account has the From address
    NOT_PARTY = "not_party"  # the sender is neither the requester nor staff of the queue
    UNPROVEN_STAFF = "unproven_staff"  # staff, but not through a reply address signed for staff
    EMPTY = "empty"  # no new words once quotes and signatures are stripped
    REFUSED = "refused"  # the ticket service refused (closed ticket, reopen window passed...)
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    ERROR = "error"  # an unexpected failure while processing (data: the exception's type)
    TOO_LARGE = "too_large"  # over DESK_INBOUND_MAX_MB (data: size, max)
    TOO_MANY_RECIPIENTS = "too_many_recipients"  # data: count, max
    MALFORMED = "malformed"  # not a readable message (data: what was wrong)
    TOO_LONG = "too_long"  # the new words are over the longest comment (data: max)
    ATTACHMENT = "attachment"  # a file refused by the upload checks (data: name, why)
    THROTTLED = "throttled"  # the sender wrote more than DESK_INBOUND_MAX_PER_MINUTE
    NO_REQUEST_TYPE = "no_request_type"  # a queue's address, but no "e-mail request" entry
    FORGED = "forged"  # our receiving server found the From forged (DMARC fail; data: sender)


def _str_enum(cls: type[enum.Enum], length: int) -> Enum:
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class InboundMessage(db.Model):
    """One received message, keyed by Message-ID and content hash: the same message read twice
    (a crash between saving and moving it, two pollers, a re-delivery) is recorded once."""

    __table_args__ = (
        UniqueConstraint("message_id", "content_hash"),
        Index("ix_inbound_message_status_received", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998))
    content_hash: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[InboundStatus] = mapped_column(_str_enum(InboundStatus, 10))
    reason: Mapped[HoldReason | None] = mapped_column(_str_enum(HoldReason, 20))
    # The reason's parameters (sizes, a file name, a refusal's message id): the reason is
    # rendered from `reason` + `data` in the reader's language when shown.
    data: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=dict
    )
    # Technical detail for the logs and admins (an exception's text), never user text.
    detail: Mapped[str] = mapped_column(Text, default="")
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_event.id", ondelete="SET NULL"))
    # The original, kept for held and failed messages so an admin can read and retry them
    # (an appended one is kept as a staff-only .eml attachment instead).
    raw: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ticket: Mapped[Ticket | None] = relationship()
    # Set by an admin's retry, so the list shows that it was tried again.
    retried_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
