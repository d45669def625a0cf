"""New requests by e-mail: a message to a queue's own address opens a ticket in that queue.

Only from a known, active account (matched by e-mail, case-insensitively): an unknown address
is held for the admins and gets no answer (an acknowledgement to a stranger would make desk
a spam relay and feed mail loops). The ticket is of the queue's domain's "e-mail request"
catalogue entry, so it gets that entry's SLA policy, and the acknowledgement the web gives.
"""

from __future__ import annotations

import logging
import re

from flask import current_app, has_app_context
from sqlalchemy import case, select

from desk.auth.models import User
from desk.catalog.forms.email_request import FORM_KEY
from desk.catalog.models import RequestType
from desk.extensions import db
from desk.inbound import answers, ledger, throttle
from desk.inbound.files import checked_files, note_unread
from desk.inbound.models import HoldReason, InboundMessage, InboundStatus
from desk.inbound.parsing import IncomingMail
from desk.inbound.reasons import Hold
from desk.notifications.content import email_language, refused_request_subject
from desk.reference.models import Queue
from desk.tickets.attachments import CheckedUpload, add_attachment
from desk.tickets.models import EventKind, TicketEvent
from desk.tickets.references import REFERENCE
from desk.tickets.services import NewTicket, create_ticket

log = logging.getLogger(__name__)
MAX_WORDS = 10_000
# Reply and forward prefixes of the usual clients, in French and English, and references.
_NOISE = re.compile(
    rf"^\s*(?:(?:re|tr|fw|fwd|réf|ref|aw)\s*:\s*|\[{REFERENCE}\]\s*)+",
    re.IGNORECASE,
)


def email_request_type(queue: Queue) -> RequestType | None:
    """The active "e-mail request" entry of the queue's domain (the queue's own one first)."""
    return db.session.scalar(
        select(RequestType)
        .where(
            RequestType.form_key == FORM_KEY,
            RequestType.is_active.is_(True),
            RequestType.domain_id == queue.domain_id,
        )
        .order_by(
            case((RequestType.default_queue_id == queue.id, 0), else_=1),
            RequestType.position,
            RequestType.id,
        )
        .limit(1)
    )


def _answer_prefixes() -> tuple[str, ...]:
    """The words desk puts before a refused request's subject in its answer ("Your request
    was not opened: "), in each of its languages, folded as `_folded` folds a subject; none
    outside an application (its catalogues are the app's)."""
    if not has_app_context():
        return ()
    prefixes = []
    for code in current_app.config["LANGUAGES"]:
        subject = refused_request_subject(email_language(code), "\x00")
        prefixes.append(_folded(subject.split("\x00", 1)[0]))
    return tuple(p for p in prefixes if p)


def _folded(text: str) -> str:
    # The answer's French writes a no-break space before its colon, a person's client may
    # write a plain one, and "n'a" with either apostrophe.
    text = text.replace("\xa0", " ").replace("\u202f", " ").replace("’", "'")
    return " ".join(text.split()).casefold()


def ticket_subject(subject: str) -> str:
    """The subject without "RE:", "TR:", "Fwd:" and reference prefixes, nor the words of
    desk's own answer to a request it refused, nor invisible characters (as the catalogue's
    forms: `desk.core.forms.clean_text`). A right-to-left override would turn round what
    desk writes after the subject on the same line of its e-mails and pages (a digest's
    "(queue; requester: …)").

    A person answers "Your request was not opened: Imprimante" without its file: the request
    they open is "Imprimante", not "RE: Your request was not opened: Imprimante" (nor, after a
    second refusal, the answer's words twice)."""
    visible = "".join(ch for ch in subject if ch.isprintable() or ch.isspace())
    text = " ".join(_NOISE.sub("", visible).split())
    prefixes = _answer_prefixes()
    while True:
        folded = _folded(text)
        found = next((p for p in prefixes if folded.startswith(p)), None)
        if found is None:
            return text[:200]
        # Folding keeps the length (one character for one): cut as many from the text.
        text = " ".join(_NOISE.sub("", text[len(found) :]).split())


def _untitled(request_type: RequestType, language: str | None) -> str:
    """The subject of a request sent without one ("", "RE:", a reference alone): the entry's
    title in the ticket's language (the French one was given to English tickets too)."""
    english = (language or "")[:2] == "en" and request_type.title_en
    return request_type.title_en if english else request_type.title_fr


def _checked_files(
    row: InboundMessage, mail: IncomingMail, sender: User, subject: str, queue: Queue
) -> list[CheckedUpload]:
    """The message's files through the upload checks. Checked last, so that a refused one is
    all that keeps the request out: held for an admin, it reached nobody, and its sender is
    told which file and why, committed with the hold (desk.inbound.answers)."""
    try:
        return checked_files(mail.attachments)
    except Hold as hold:
        if answers.answer_request_file_refused(row, mail, sender, subject, queue, hold.data):
            hold.data[ledger.ANSWERED] = True
        raise


def open_ticket(
    row: InboundMessage,
    mail: IncomingMail,
    queue: Queue,
    sender: User | None,
    original: CheckedUpload,
) -> None:
    """Create the ticket (committing the ledger row with it), then keep the original."""
    if sender is None or not sender.is_active:
        raise Hold(HoldReason.UNKNOWN_SENDER, sender=mail.sender)
    request_type = email_request_type(queue)
    if request_type is None:
        raise Hold(HoldReason.NO_REQUEST_TYPE, queue=queue.code)
    subject = ticket_subject(mail.subject)
    # A forward ("TR: …" with its "De : / Envoyé :" block, Gmail's "Forwarded message", an
    # attached .eml) IS the request: kept whole, not cut to the few words typed above it.
    message = mail.request or mail.text
    if not message.strip() and not subject:
        raise Hold(HoldReason.EMPTY)
    if len(mail.text) > MAX_WORDS:
        raise Hold(HoldReason.TOO_LONG, max=MAX_WORDS)
    if len(message) > MAX_WORDS:
        # A long forwarded thread: its beginning, the rest in the kept original (held as
        # too long, it could never be retried into a ticket).
        message = message[:MAX_WORDS].rsplit("\n", 1)[0].rstrip() + "\n[…]"
    files = _checked_files(row, mail, sender, subject, queue)
    row.status = InboundStatus.APPENDED  # committed with the ticket, never without it
    # Declared by the mail program in one of desk's languages: the request is in it, and so
    # are the answers unless its requester chose another.
    language = mail.language if mail.language in current_app.config["LANGUAGES"] else None
    acknowledge = throttle.may_acknowledge(mail.sender)
    if not acknowledge:
        log.warning("inbound: a request from %s filed without acknowledgement (loop?)", mail.sender)
    ticket, _created = create_ticket(
        NewTicket(
            request_type=request_type,
            requester=sender,
            subject=subject or _untitled(request_type, language or sender.locale),
            data={"message": message, "address": queue.inbound_address or ""},
            uploads=files,
            queue=queue,
            acknowledge=acknowledge,
            language=language,
            answers=mail.answered(),
        ),
        actor=sender,
    )
    created = db.session.scalar(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.CREATED
        )
    )
    add_attachment(ticket, created, sender, original, internal=True)
    note_unread(ticket, mail)
    row.ticket_id = ticket.id
    row.event_id = created.id if created is not None else None
    db.session.commit()
