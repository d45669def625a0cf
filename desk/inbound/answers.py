"""Telling the sender of a reply that a finished request refused: it was not added.

Held as "refused", such a reply reached nobody, and its sender believed they were heard. They
get one e-mail in their language (the request is closed; its page, and the catalogue for a new
request), written to the outbox in the transaction that records the hold: never lost, never
sent twice. Only to the ticket's own people (its requester, someone in copy, staff of its
queue) at their account's address, never to the From line: strangers, unknown addresses,
auto-replies and bounces are held or ignored before this point. At most one a day per sender
and ticket (the outbox's dedupe key): a requester who replies five times, or answers this
e-mail, gets one answer, and two robots cannot keep each other busy.

A reply, or a new request by e-mail, held because one of its files was refused is answered
the same way, naming the file and why: a new request, which has no ticket yet, by an e-mail
about no ticket, counted with the acknowledgements of new requests.
"""

from __future__ import annotations

from flask import current_app

from desk.auth.models import User
from desk.catalog.forms.fields import local_today
from desk.inbound import ledger, throttle
from desk.inbound.models import InboundMessage
from desk.inbound.parsing import IncomingMail
from desk.notifications.models import NotificationEvent
from desk.notifications.outbox import Alert, notify, write_alerts
from desk.reference.models import Queue
from desk.tickets.models import OPEN_STATUSES, Status, Ticket
from desk.tickets.services import can_reopen


def closed_to(ticket: Ticket, role: str) -> bool:
    """Whether `ticket` refuses messages from someone of `role` because it is finished (a
    refusal for another reason, such as a reopening without words, is not answered)."""
    if ticket.status in OPEN_STATUSES:
        return False
    if role == "requester":
        return not can_reopen(ticket)  # within the window a reply reopens it
    if role == "staff":
        return ticket.status in (Status.CLOSED, Status.CANCELLED)  # they answer resolved ones
    return True  # someone in copy writes only while it is open


def _answering(mail: IncomingMail | None) -> dict:
    """The data that makes an answer a reply to `mail` in its sender's client (its thread)."""
    answered = mail.answered() if mail is not None else None
    return {"answers": answered} if answered else {}


def answer_file_refused(
    ticket: Ticket, sender: User, role: str, hold_data: dict, mail: IncomingMail | None = None
) -> None:
    """Have `sender` told, when the caller's transaction commits, that their reply (`mail`)
    was not added because of one of its files, which and why (the upload check's message, in
    their language): held for an admin, it reached nobody. The same once-a-day rule as
    above."""
    notify(
        ticket,
        sender,
        NotificationEvent.FILE_REFUSED,
        data={
            "name": hold_data.get("name", ""),
            "why": hold_data.get("why", ""),
            **_answering(mail),
        },
        key=f"file_refused:{local_today().isoformat()}",
        role="watcher" if role == "watcher" else None,
    )


def answer_refused(
    ticket: Ticket, sender: User, role: str, mail: IncomingMail | None = None
) -> bool:
    """Have `sender` told, when the caller's transaction commits, that their message (`mail`)
    to the finished `ticket` was not added; False when the refusal was for another reason."""
    if not closed_to(ticket, role):
        return False
    notify(
        ticket,
        sender,
        NotificationEvent.REPLY_REFUSED,
        data=_answering(mail),
        key=f"reply_refused:{local_today().isoformat()}",
        # Someone in copy reads the request from the requester's pages (desk.watchers).
        role="watcher" if role == "watcher" else None,
    )
    return True


# The answer's subject is desk.notifications.content.refused_request_subject: a new request
# sent in answer to it is opened without its words (desk.inbound.requests.ticket_subject).
REQUEST_FILE_REFUSED = "request_file_refused"


def answer_request_file_refused(
    row: InboundMessage,
    mail: IncomingMail,
    sender: User,
    subject: str,
    queue: Queue,
    hold_data: dict,
) -> bool:
    """Have `sender` told, when the caller's transaction commits, that their new request by
    e-mail (`subject`, as the ticket would have had it) opened nothing because of one of its
    files, which and why; True when written. Its Reply-To is the address of the `queue` they
    wrote to, as every answer of desk's leads back to it: sent again from there without the
    file, the message opens the request.

    Only to an active account at its own address (a stranger is never answered: desk would
    be a spam relay), never to a robot (held or ignored before this point); once per message
    (an admin's retry says nothing more); and counted with the acknowledgements, so a robot
    that answers each of these with another file gets no more than DESK_INBOUND_MAX_ACKS_PER_HOUR
    an hour, as for new requests' acknowledgements."""
    if not sender.is_active or ledger.kept(row.data):
        return False
    if not throttle.may_acknowledge(mail.sender):
        return False
    base = current_app.config["BASE_URL"]
    payload = {
        "alert": REQUEST_FILE_REFUSED,
        "subject": subject or "…",  # a message with no subject of its own
        "file": hold_data.get("name", ""),
        "why": hold_data.get("why", ""),
        "catalogue_url": f"{base}/catalogue",
        "reply_to": queue.inbound_address or "",
        **_answering(mail),
    }
    key = f"{REQUEST_FILE_REFUSED}:{row.id}:u{sender.id}"
    write_alerts(NotificationEvent.FILE_REFUSED, [Alert(sender, payload, key)])
    return True
