"""Telling the sender of a reply that a finished request refused: it was not added.

Held as "refused", such a reply reached nobody, and its sender believed they were heard. They
get one e-mail in their language (the request is closed; its page, and the catalogue for a new
request), written to the outbox in the transaction that records the hold: never lost, never
sent twice. Only to the ticket's own people (its requester, someone in copy, staff of its
queue) at their account's address, never to the From line: strangers, unknown addresses,
auto-replies and bounces are held or ignored before this point. At most one a day per sender
and ticket (the outbox's dedupe key): a requester who replies five times, or answers this
e-mail, gets one answer, and two robots cannot keep each other busy.
"""

from __future__ import annotations

from desk.auth.models import User
from desk.catalog.forms.fields import local_today
from desk.notifications.models import NotificationEvent
from desk.notifications.outbox import notify
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


def answer_file_refused(ticket: Ticket, sender: User, role: str, hold_data: dict) -> None:
    """Have `sender` told, when the caller's transaction commits, that their reply was not
    added because of one of its files, which and why (the upload check's message, in their
    language): held for an admin, it reached nobody. The same once-a-day rule as above."""
    notify(
        ticket,
        sender,
        NotificationEvent.FILE_REFUSED,
        data={"name": hold_data.get("name", ""), "why": hold_data.get("why", "")},
        key=f"file_refused:{local_today().isoformat()}",
        role="watcher" if role == "watcher" else None,
    )


def answer_refused(ticket: Ticket, sender: User, role: str) -> bool:
    """Have `sender` told, when the caller's transaction commits, that their message to the
    finished `ticket` was not added; False when the refusal was for another reason."""
    if not closed_to(ticket, role):
        return False
    notify(
        ticket,
        sender,
        NotificationEvent.REPLY_REFUSED,
        key=f"reply_refused:{local_today().isoformat()}",
        # Someone in copy reads the request from the requester's pages (desk.watchers).
        role="watcher" if role == "watcher" else None,
    )
    return True
