"""The digest of new tickets: one e-mail per subscriber listing what arrived in their queues.

Beat runs `send_digests` every few minutes; a subscriber gets a digest when their period
(NOTIFY_DIGEST_MINUTES) has passed since the last one, one of their queues is in business
hours, and something new arrived. Exactly once: each subscriber is handled in its own
transaction holding a lock on their preference row, which moves `digest_since` forward in the
same commit as the outbox row; a concurrent run waits on the lock, then finds nothing new.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import select

from desk.absences.services import away_until
from desk.auth.language import written_language
from desk.auth.models import Role, User
from desk.catalog.forms.fields import display_tz
from desk.core.db import utcnow
from desk.extensions import db
from desk.notifications.calendars import quiet_hours_start
from desk.notifications.models import (
    NewTicketMode,
    NewTicketPreference,
    NotificationEvent,
)
from desk.notifications.outbox import email_row, ticket_snapshot, write_emails
from desk.reference.models import Queue, QueueMembership
from desk.tickets.models import EventKind, Ticket, TicketEvent

# A ticket is numbered at the start of its transaction and committed a moment later: the
# digest stops this far behind "now" so such a ticket falls into the next digest, not between.
SETTLE = dt.timedelta(seconds=60)
MAX_TICKETS = 100


def send_digests(*, now: dt.datetime | None = None) -> int:
    """Send the digests that are due; returns how many were written to the outbox."""
    now = now or utcnow()
    period = dt.timedelta(minutes=current_app.config["NOTIFY_DIGEST_MINUTES"])
    due = db.session.scalars(
        select(NewTicketPreference.user_id).where(
            NewTicketPreference.mode == NewTicketMode.DIGEST,
            NewTicketPreference.digest_since <= now - period,
        )
    ).all()
    db.session.rollback()
    written = 0
    for user_id in due:
        written += _digest_for(user_id, now, period)
        db.session.commit()
    return written


def _digest_for(user_id: int, now: dt.datetime, period: dt.timedelta) -> int:
    pref = db.session.scalar(
        select(NewTicketPreference)
        .where(NewTicketPreference.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if pref is None or pref.mode is not NewTicketMode.DIGEST:
        return 0
    if pref.digest_since > now - period:
        return 0  # another run sent it meanwhile
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.role is Role.REQUESTER or not user.has_mailbox:
        return 0
    queues = list(
        db.session.scalars(
            select(Queue)
            .join(QueueMembership, QueueMembership.queue_id == Queue.id)
            .where(QueueMembership.user_id == user_id)
        )
    )
    if not any(quiet_hours_start(q, now) == now for q in queues):
        return 0  # outside business hours: the next run in hours covers the same tickets
    until = now - SETTLE
    if away_until([user_id], now.astimezone(display_tz()).date()):
        # Away (desk.absences): no e-mail about the queues; the bell keeps the tickets, and
        # the first digest after the return does not list the whole absence.
        pref.digest_since = until
        return 0
    tickets = list(
        db.session.scalars(
            select(Ticket)
            .where(
                Ticket.queue_id.in_([q.id for q in queues]),
                Ticket.created_at > pref.digest_since,
                Ticket.created_at <= until,
                Ticket.requester_id != user_id,
                # Nor one they filed for someone (by phone, at the counter): their own action,
                # which the bell and the per-ticket e-mail leave out too.
                ~select(TicketEvent.id)
                .where(
                    TicketEvent.ticket_id == Ticket.id,
                    TicketEvent.kind == EventKind.CREATED,
                    TicketEvent.actor_id == user_id,
                )
                .exists(),
            )
            .order_by(Ticket.created_at, Ticket.id)
            .limit(MAX_TICKETS)
        )
    )
    # A long backlog continues in the next digest, from the last ticket listed.
    pref.digest_since = tickets[-1].created_at if len(tickets) == MAX_TICKETS else until
    if not tickets:
        return 0
    write_emails([_row(user, tickets, until)])
    return 1


def _row(user: User, tickets: list[Ticket], until: dt.datetime) -> dict[str, Any]:
    base = current_app.config["BASE_URL"]
    payload = {
        "digest": True,
        "to": user.email,
        "name": user.display_name,
        "locale": written_language(user),
        "role": "staff",
        "path": "/queues",
        "url": f"{base}/queues",
        "events": [{"event": NotificationEvent.NEW_TICKET.value}],
        "tickets": [_ticket_json(t, base) for t in tickets],
    }
    key = f"digest:u{user.id}:{until.isoformat()}"
    # Due at the real time, whatever `now` the run was given.
    return email_row(NotificationEvent.NEW_TICKET, user, payload, key, now=utcnow())


def _ticket_json(ticket: Ticket, base: str) -> dict[str, Any]:
    return {**ticket_snapshot(ticket), "url": f"{base}/tickets/{ticket.reference}"}
