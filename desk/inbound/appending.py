"""A received reply added to its ticket, through the ticket services as on the web.

The ticket services do the ticket's work (waiting → in progress, reopening within the window,
SLA, notifications) and commit the message's ledger row with the comment, so a failure leaves
neither. A reply they refuse (a finished request) is held, and its sender told so once.
"""

from __future__ import annotations

from sqlalchemy import select

from desk.auth.models import User
from desk.core.i18n import written_in
from desk.core.languages import words_language
from desk.extensions import db
from desk.inbound import answers, ledger, requests
from desk.inbound.files import checked_files, new_files, note_unread, original
from desk.inbound.matching import Match, role_of
from desk.inbound.models import HoldReason, InboundMessage, InboundStatus
from desk.inbound.parsing import IncomingMail
from desk.inbound.reasons import Hold, lazy_data
from desk.inbound.thanks import thanks_only
from desk.tickets.actions import ActionError, add_reply
from desk.tickets.attachments import CheckedUpload, add_attachment
from desk.tickets.models import OPEN_STATUSES, Status, Ticket, TicketEvent
from desk.tickets.services import (
    ActionRefused,
    add_requester_comment,
    add_thanks,
    can_reopen,
    reopen_ticket,
)


def _append(
    row: InboundMessage,
    mail: IncomingMail,
    ticket: Ticket,
    user: User,
    role: str,
    files: list[CheckedUpload],
) -> None:
    """Through the ticket services, which commit the ledger row with the comment."""
    # Committed with the words: a crash before the second commit can never make it look
    # unprocessed (and so retryable) while the words are on the ticket.
    row.status = InboundStatus.APPENDED
    row.ticket_id = ticket.id
    later = [original(mail)]
    # The words are in the language the mail declared, else the one they are plainly in, else
    # the one their writer chose in desk.
    with written_in(mail.language or words_language(mail.text) or user.locale):
        event = _write(mail, ticket, user, role, files, later)
    # The original message, for staff: in a second short transaction (the services above
    # commit); if it is lost to a crash the words are still there once.
    for checked in later:
        add_attachment(ticket, event, user, checked, internal=checked is later[-1])
    note_unread(ticket, mail)
    row.event_id = event.id if event is not None else None
    db.session.commit()


def _write(
    mail: IncomingMail,
    ticket: Ticket,
    user: User,
    role: str,
    files: list[CheckedUpload],
    later: list[CheckedUpload],
) -> TicketEvent | None:
    """The words as the sender's role writes them; files left for `later` put first there."""
    if _thanks(mail, ticket, user, role, files):
        # "Merci !" to a resolution: the request is done, it is not reopened.
        event = add_thanks(ticket, user, mail.text)
    elif role == "requester":
        if ticket.status is Status.RESOLVED and can_reopen(ticket):
            reopen_ticket(ticket, user, reason=mail.text)
            event = db.session.scalar(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(TicketEvent.id.desc())
                .limit(1)
            )
            later[:0] = files
        else:
            event = add_requester_comment(ticket, user, mail.text, files)
    elif role == "watcher":  # in copy: writes as the requester does, never reopens
        event = add_requester_comment(ticket, user, mail.text, files)
    else:
        event = add_reply(ticket, mail.text, actor=user, uploads=files)
    return event


def _thanks(
    mail: IncomingMail, ticket: Ticket, user: User, role: str, files: list[CheckedUpload]
) -> bool:
    """A thank-you, with no new file (a signature logo the ticket has is none), from the
    requester or someone in copy of a finished ticket."""
    return (
        role in ("requester", "watcher")
        and ticket.status not in OPEN_STATUSES
        and not files
        and thanks_only(mail.text, user.display_name or "")
    )


def append_reply(
    row: InboundMessage,
    mail: IncomingMail,
    match: Match,
    sender: User | None,
    *,
    by_admin: bool = False,
) -> str:
    """Add a reply to the ticket it matched, or raise Hold saying why not; the outcome."""
    ticket = match.ticket
    assert ticket is not None
    row.ticket_id = ticket.id
    if sender is None or not sender.is_active:
        raise Hold(HoldReason.UNKNOWN_SENDER, sender=mail.sender, by=match.by)
    role = role_of(ticket, sender)
    if role is None:
        raise Hold(HoldReason.NOT_PARTY, by=match.by)
    if role == "staff" and not match.staff_proof and not by_admin:
        # Written as staff, the words reach the requester as the service's answer: a forged
        # From line must not do that. An admin who read it may let it through (a retry).
        raise Hold(HoldReason.UNPROVEN_STAFF, by=match.by)
    attached = new_files(mail, ticket)
    if not mail.text.strip() and not attached:
        # A file alone (the photo asked for, sent from a phone) is a comment, as on the web;
        # the signature logo the ticket already has is no file.
        raise Hold(HoldReason.EMPTY)
    if len(mail.text) > requests.MAX_WORDS:
        raise Hold(HoldReason.TOO_LONG, max=requests.MAX_WORDS)
    try:
        files = checked_files(attached)
    except Hold as hold:
        # Held for an admin, the reply reached nobody: its sender is told which file was
        # refused and why, committed with the hold (once per message, as below).
        if not ledger.kept(row.data):
            answers.answer_file_refused(ticket, sender, role, hold.data, mail)
            hold.data[ledger.ANSWERED] = True
        raise
    row_id, ticket_id = row.id, ticket.id
    try:
        _append(row, mail, ticket, sender, role, files)
    except (ActionRefused, ActionError) as exc:
        # The services rolled back (a new ledger row with them): record the refusal anew.
        db.session.rollback()
        row = ledger.record(mail) or db.session.get(InboundMessage, row_id)
        if row is None:
            raise
        row.ticket_id = ticket_id
        # A finished request: its sender is told so (once a day), committed with the hold;
        # not for a thank-you to a closed one, which asks for nothing. Once per message: an
        # admin's retry refused again, even days later, says nothing new to its sender.
        told = bool(ledger.kept(row.data))
        if not told and not _thanks(mail, ticket, sender, role, files):
            told = answers.answer_refused(ticket, sender, role, mail)
        hold = Hold(
            HoldReason.REFUSED,
            why=lazy_data(exc.message),
            **({ledger.ANSWERED: True} if told else {}),
        )
        return ledger.hold(row, mail, hold)
    return "appended"
