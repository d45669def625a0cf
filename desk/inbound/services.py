"""Process received messages exactly once: match a ticket, check the sender, append or hold.

One message, one transaction: its ledger row (unique on Message-ID + content hash) is inserted
first, and the ticket services called next commit it together with the comment — so a
message read twice is appended once, and a failure leaves neither. The ticket services do the
ticket's work (waiting → in progress, reopening within the window, notifications), exactly as
on the web.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from desk.auth.models import User
from desk.auth.services import find_user
from desk.extensions import db
from desk.inbound.address import read_reply_address
from desk.inbound.models import HoldReason, InboundMessage, InboundStatus
from desk.inbound.parsing import IncomingMail, MalformedMessage, parse
from desk.inbound.sources import MailSource, configured_sources
from desk.notifications.mailer import mail_host
from desk.notifications.models import Notification
from desk.tickets.actions import ActionError, add_reply, is_eligible_assignee
from desk.tickets.attachments import CheckedUpload, add_attachment
from desk.tickets.models import Status, Ticket, TicketEvent
from desk.tickets.services import (
    ActionRefused,
    add_requester_comment,
    can_reopen,
    reopen_ticket,
)

log = logging.getLogger(__name__)

_SUBJECT_REFERENCE = re.compile(r"\[((?:DEM|INC)-\d{4}-\d{6})\]", re.IGNORECASE)
_OUR_ID = re.compile(r"ticket-((?:DEM|INC)-\d{4}-\d{6})(?:\.notif-(\d+))?@(.+)", re.IGNORECASE)
MAX_WORDS = 10_000


@dataclass
class Match:
    """The ticket a message is about, and how it was found."""

    ticket: Ticket | None = None
    by: str = ""
    hold: HoldReason | None = None


@dataclass
class PollResult:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def _ticket(reference: str) -> Ticket | None:
    return db.session.scalar(
        select(Ticket).where(Ticket.reference == reference.upper()).with_for_update()
    )


def _by_reply_address(mail: IncomingMail) -> Match | None:
    base = current_app.config["REPLY_ADDRESS"]
    if not base:
        return None
    for recipient in mail.recipients:
        found = read_reply_address(recipient, base, current_app.config["SECRET_KEY"])
        if found is None:
            continue
        if not found.valid or found.reference is None:
            return Match(hold=HoldReason.BAD_SIGNATURE)
        ticket = _ticket(found.reference)
        return Match(ticket, "address") if ticket else Match(hold=HoldReason.BAD_SIGNATURE)
    return None


def _by_references(mail: IncomingMail) -> Match | None:
    """In-Reply-To/References naming one of desk's own notification e-mails."""
    host = mail_host().lower()
    for message_id in mail.references:
        found = _OUR_ID.fullmatch(message_id)
        if found is None or found[3].lower() != host or found[2] is None:
            continue
        # The notification row proves desk sent this Message-ID about that ticket.
        ticket = db.session.scalar(
            select(Ticket)
            .join(Notification, Notification.ticket_id == Ticket.id)
            .where(Notification.id == int(found[2]), Ticket.reference == found[1].upper())
        )
        if ticket is not None:
            return Match(_ticket(ticket.reference), "references")
    return None


def _by_subject(mail: IncomingMail, sender: User | None) -> Match | None:
    """`[DEM-…]` in the subject: trusted only from the requester or staff of the queue."""
    found = _SUBJECT_REFERENCE.search(mail.subject)
    if found is None:
        return None
    ticket = _ticket(found[1])
    if ticket is None or sender is None or _role(ticket, sender) is None:
        return None
    return Match(ticket, "subject")


def _role(ticket: Ticket, user: User) -> str | None:
    if not user.is_active:
        return None
    if user.id == ticket.requester_id:
        return "requester"
    if is_eligible_assignee(user, ticket.queue_id):
        return "staff"
    return None


def find_ticket(mail: IncomingMail, sender: User | None) -> Match:
    """The ticket, by signed reply address, then desk's Message-IDs, then the subject."""
    for match in (_by_reply_address(mail), _by_references(mail), _by_subject(mail, sender)):
        if match is not None:
            return match
    return Match(hold=HoldReason.NO_TICKET)


def _record(mail: IncomingMail) -> InboundMessage | None:
    """Insert the ledger row; None when this message was already recorded."""
    values = {
        "message_id": mail.message_id,
        "content_hash": mail.content_hash,
        "sender": mail.sender[:320],
        "subject": mail.subject,
        "status": InboundStatus.HELD.value,
    }
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(InboundMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["message_id", "content_hash"])
        .returning(InboundMessage.id)
    )
    new_id = db.session.scalar(statement)
    return db.session.get(InboundMessage, new_id) if new_id is not None else None


def _hold(row: InboundMessage, mail: IncomingMail, reason: HoldReason, detail: str = "") -> str:
    row.status = (
        InboundStatus.IGNORED
        if reason
        in (
            HoldReason.AUTO_REPLY,
            HoldReason.BOUNCE,
        )
        else InboundStatus.HELD
    )
    row.reason = reason
    row.detail = detail[:2000]
    row.raw = mail.raw
    db.session.commit()
    return row.status.value


def _original(mail: IncomingMail) -> CheckedUpload:
    # desk's own file, not a user's upload: stored as-is, shown to staff only.
    return CheckedUpload(f"message-{mail.content_hash[:12]}.eml", "message/rfc822", mail.raw)


def _append(row: InboundMessage, mail: IncomingMail, ticket: Ticket, user: User, role: str):
    """Through the ticket services, which commit the ledger row with the comment."""
    if role == "requester":
        if ticket.status is Status.RESOLVED and can_reopen(ticket):
            reopen_ticket(ticket, user, reason=mail.text)
            event = db.session.scalar(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(TicketEvent.id.desc())
                .limit(1)
            )
        else:
            event = add_requester_comment(ticket, user, mail.text)
    else:
        event = add_reply(ticket, mail.text, actor=user)
    # The original message, for staff: in a second short transaction (the services above
    # commit); if it is lost to a crash the words are still there once.
    add_attachment(ticket, event, user, _original(mail), internal=True)
    row.status = InboundStatus.APPENDED
    row.ticket_id = ticket.id
    row.event_id = event.id if event is not None else None
    db.session.commit()


def process(mail: IncomingMail) -> str:
    """Record one parsed message and act on it; the outcome is returned for the poll's counts."""
    row = _record(mail)
    if row is None:
        db.session.rollback()
        return "duplicate"
    if mail.auto_reason:
        return _hold(row, mail, HoldReason(mail.auto_reason))
    sender = find_user(mail.sender) if mail.sender else None
    match = find_ticket(mail, sender)
    if match.ticket is None:
        return _hold(row, mail, match.hold or HoldReason.NO_TICKET)
    row.ticket_id = match.ticket.id
    if sender is None:
        return _hold(row, mail, HoldReason.UNKNOWN_SENDER, f"matched by {match.by}")
    role = _role(match.ticket, sender)
    if role is None:
        return _hold(row, mail, HoldReason.NOT_PARTY, f"matched by {match.by}")
    if not mail.text.strip():
        return _hold(row, mail, HoldReason.EMPTY)
    if len(mail.text) > MAX_WORDS:
        return _hold(row, mail, HoldReason.REFUSED, "text too long")
    row_id = row.id
    try:
        _append(row, mail, match.ticket, sender, role)
    except (ActionRefused, ActionError) as exc:
        # The services rolled back (the ledger row with them): record the refusal anew.
        db.session.rollback()
        row = _record(mail) or db.session.get(InboundMessage, row_id)
        if row is None:
            raise
        row.ticket_id = match.ticket.id
        return _hold(row, mail, HoldReason.REFUSED, str(getattr(exc, "message", exc)))
    return "appended"


def record_failure(raw: bytes, reason: str) -> None:
    """Keep a message that could not be processed, with the reason, for the admins."""
    db.session.rollback()
    try:
        mail = parse(raw)
        message_id, content_hash, sender, subject = (
            mail.message_id,
            mail.content_hash,
            mail.sender,
            mail.subject,
        )
    except MalformedMessage:
        import hashlib

        content_hash = hashlib.sha256(raw).hexdigest()
        message_id, sender, subject = f"sha256:{content_hash}", "", ""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(InboundMessage)
        .values(
            message_id=message_id,
            content_hash=content_hash,
            sender=sender[:320],
            subject=subject[:500],
            status=InboundStatus.FAILED.value,
            reason=HoldReason.ERROR.value,
            detail=reason[:2000],
            raw=raw,
        )
        .on_conflict_do_nothing(index_elements=["message_id", "content_hash"])
    )
    db.session.commit()


def poll_source(source: MailSource, result: PollResult | None = None) -> PollResult:
    """Read every waiting message once; a poison message goes to `failed`, the poll goes on."""
    result = result or PollResult()
    for key, raw in source.pending():
        try:
            if not raw:
                raise MalformedMessage("empty or larger than DESK_INBOUND_MAX_MB")
            outcome = process(parse(raw))
        except Exception as exc:  # one bad message must not stop the others
            db.session.rollback()
            reason = exc.args[0] if isinstance(exc, MalformedMessage) else repr(exc)
            log.warning("inbound %s %s failed: %s", source.name, key, reason)
            try:
                record_failure(raw, str(reason))
            except Exception:
                db.session.rollback()
                log.exception("inbound: could not record the failure of %s", key)
            source.failed(key, str(reason))
            result.add("failed")
            continue
        source.done(key)
        result.add(outcome)
    return result


def fetch_mail() -> PollResult:
    """Poll every configured source once."""
    result = PollResult()
    for opener in configured_sources(current_app.config):
        try:
            source = opener()
        except Exception:  # logged; the other sources are still read
            log.exception("inbound: cannot open a mail source")
            result.add("source_error")
            continue
        try:
            poll_source(source, result)
        finally:
            source.close()
    return result
