"""Which ticket a message is about, and whether its sender may write to it.

In order: the signed reply address, `In-Reply-To`/`References` naming one of desk's own
notification e-mails, then the `[DEM-…]` reference in the subject, or the reference without
its brackets when there is none (people retype it; some clients and forwarders drop them) —
the subject only from the ticket's requester, staff of its queue or someone in copy (anyone
can type a reference). Staff write as staff only through the reply address of an e-mail desk
sent them to staff (see desk.inbound.address). A message matching no ticket may be sent to a
queue's own address: a new request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from desk.auth.models import User
from desk.core.input import parse_int
from desk.extensions import db
from desk.inbound.address import read_reply_address, valid_message_signature
from desk.inbound.models import HoldReason
from desk.inbound.parsing import IncomingMail
from desk.notifications.mailer import mail_host
from desk.notifications.models import Notification
from desk.reference.models import Queue
from desk.tickets.access import is_watching
from desk.tickets.actions import is_eligible_assignee
from desk.tickets.models import Ticket
from desk.tickets.references import REFERENCE

# Every reference desk writes (`DEM-2026-000123`, past 999,999 `DEM-2026-1234567`), as a
# whole: "[DEM-2026-0001234]" (a leading zero desk never writes) names nothing.
_SUBJECT_REFERENCE = re.compile(rf"\[({REFERENCE})\]", re.IGNORECASE)
# The same reference typed without brackets ("Réf : DEM-2026-000123", "AW: demande …"): a
# whole token only, so that "XDEM-2026-000123", "DEM-2026-0001234" or "DEM-2026-000123-2"
# name nothing. Any case, as the bracketed form: it is as unmistakable lowercased.
_BARE_REFERENCE = re.compile(rf"(?<![\w-])({REFERENCE})(?![\w-])", re.IGNORECASE)
_OUR_ID = re.compile(
    rf"ticket-({REFERENCE})(?:\.notif-(\d+)(?:\.([0-9a-f]{{16}}))?)?@(.+)", re.IGNORECASE
)


@dataclass
class Match:
    """The ticket a message is about, and how it was found."""

    ticket: Ticket | None = None
    by: str = ""
    hold: HoldReason | None = None
    # Sent to the reply address of an e-mail desk sent to staff, or naming the signed
    # Message-ID of one desk sent to the sender: the proofs that let a message be written on
    # the ticket as staff (a From line and a reference are forged in a minute).
    staff_proof: bool = False


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
        if ticket is None:
            return Match(hold=HoldReason.BAD_SIGNATURE)
        return Match(ticket, "address", staff_proof=found.staff)
    return None


def _by_references(mail: IncomingMail, sender: User | None) -> Match | None:
    """In-Reply-To/References naming one of desk's own notification e-mails."""
    host = mail_host().lower()
    secret = current_app.config["SECRET_KEY"]
    for message_id in mail.references:
        found = _OUR_ID.fullmatch(message_id)
        if found is None or found[4].lower() != host or found[2] is None:
            continue
        # A number past the id column (a made-up Message-ID) names no e-mail desk sent.
        number, signature = parse_int(found[2]), found[3]
        if number is None:
            continue
        if signature is not None and not valid_message_signature(number, signature, secret):
            continue  # forged
        # The notification row proves desk sent this Message-ID about that ticket.
        row = db.session.execute(
            select(Ticket.reference, Notification.recipient_id)
            .join(Notification, Notification.ticket_id == Ticket.id)
            .where(Notification.id == number, Ticket.reference == found[1].upper())
        ).first()
        if row is not None:
            # Signed and sent to the sender: they read it (an unsigned one, from before
            # signatures, or a number anyone can guess, proves only the ticket).
            read = signature is not None and sender is not None and row[1] == sender.id
            return Match(_ticket(row[0]), "references", staff_proof=read)
    return None


def _subject_reference(subject: str) -> str | None:
    """`[DEM-…]`, else the one bare reference of the subject; two different bare ones say
    nothing (which one the message is about is a person's call: held for the admins)."""
    found = _SUBJECT_REFERENCE.search(subject)
    if found is not None:
        return found[1]
    bare = {reference.upper() for reference in _BARE_REFERENCE.findall(subject)}
    return bare.pop() if len(bare) == 1 else None


def _by_subject(mail: IncomingMail, sender: User | None) -> Match | None:
    """The subject's reference: trusted only from the requester, someone in copy or staff of
    the queue; from anyone else it names nothing, whether the ticket exists or not."""
    reference = _subject_reference(mail.subject)
    if reference is None:
        return None
    ticket = _ticket(reference)
    if ticket is None or sender is None or role_of(ticket, sender) is None:
        return None
    return Match(ticket, "subject")


def role_of(ticket: Ticket, user: User) -> str | None:
    if not user.is_active:
        return None
    if user.id == ticket.requester_id:
        return "requester"
    if is_eligible_assignee(user, ticket.queue_id):
        return "staff"
    if is_watching(user, ticket):
        return "watcher"
    return None


def find_ticket(mail: IncomingMail, sender: User | None) -> Match:
    """The ticket, by signed reply address, then desk's Message-IDs, then the subject."""
    for match in (
        _by_reply_address(mail),
        _by_references(mail, sender),
        _by_subject(mail, sender),
    ):
        if match is not None:
            return match
    return Match(hold=HoldReason.NO_TICKET)


def queue_for(mail: IncomingMail) -> Queue | None:
    """The active queue whose own address the message was sent to, if any."""
    if not mail.recipients:
        return None
    return db.session.scalar(
        select(Queue)
        .where(func.lower(Queue.inbound_address).in_(mail.recipients), Queue.is_active)
        .order_by(Queue.id)
        .limit(1)
    )
