"""A received message's files: checked as uploads are, and its original kept for staff."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from desk.extensions import db
from desk.inbound.models import HoldReason
from desk.inbound.parsing import IncomingMail, MailAttachment
from desk.inbound.reasons import EVENT_FIELD, UNREADABLE_PART, Hold, lazy_data
from desk.tickets.attachments import CheckedUpload, UploadError, check_content
from desk.tickets.history import system_line
from desk.tickets.models import Attachment, Ticket


def original(mail: IncomingMail) -> CheckedUpload:
    """The message as received, to attach for staff."""
    # desk's own file, not a user's upload: stored as-is, shown to staff only.
    return CheckedUpload(f"message-{mail.content_hash[:12]}.eml", "message/rfc822", mail.raw)


def new_files(mail: IncomingMail, ticket: Ticket) -> list[MailAttachment]:
    """The files a reply adds to its ticket: all but an inline image whose bytes the ticket
    already shows (or this message already carries), which is a signature logo sent with
    every reply, not a file the person meant to send again (one its HTML shows small or in a
    signature block is already left out: desk.inbound.decoration; this catches one shown
    without a size).

    The first one is kept: it may be a screenshot pasted in the body. A file attached as such
    (Content-Disposition: attachment) is always kept: sending it again is a choice its words
    may speak of. Staff-only files are not compared: the requester would not see theirs. What
    is left out stays in the kept original.
    """
    shown = set(
        db.session.scalars(
            select(Attachment.sha256).where(
                Attachment.ticket_id == ticket.id, Attachment.is_internal.is_(False)
            )
        )
    )
    kept = []
    for attachment in mail.attachments:
        digest = hashlib.sha256(attachment.content).hexdigest()
        if attachment.inline and digest in shown:
            continue
        shown.add(digest)
        kept.append(attachment)
    return kept


def checked_files(files: list[MailAttachment]) -> list[CheckedUpload]:
    """The message's files through the upload checks (type, content, size); the first
    refused one holds the whole message, so nothing half-arrives."""
    checked = []
    for attachment in files:
        try:
            checked.append(check_content(attachment.filename, attachment.content))
        except UploadError as exc:
            raise Hold(
                HoldReason.ATTACHMENT,
                name=attachment.filename[:200],
                why=lazy_data(exc.args[0] if exc.args else exc),
            ) from None
    return checked


def note_unread(ticket: Ticket, mail: IncomingMail) -> None:
    """Tell staff on the ticket which parts of the message could not be read (a broken
    winmail.dat): what they held is only in the kept original. Stored as a code and the
    part's name, written in the reader's language when shown (desk.inbound.reasons)."""
    for name in mail.unread:
        system_line(ticket, EVENT_FIELD, old=name[:200], new=UNREADABLE_PART, internal=True)
