"""Tickets waiting on their requester: a reminder after N business days, closing after M.

Business days follow the ticket's queue calendar (Mon–Fri without one). The waiting period
starts at the latest change to "waiting on requester"; a reminder is keyed by that instant,
so a period gets one reminder however often beat runs.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from desk.core.db import utcnow
from desk.extensions import db
from desk.notifications.calendars import add_business_days
from desk.notifications.models import Notification, NotificationEvent
from desk.notifications.outbox import notify
from desk.tickets.history import apply_status
from desk.tickets.models import EventKind, Status, Ticket, TicketEvent
from desk.tickets.workflow import Actor, TransitionError

log = logging.getLogger(__name__)


def waiting_tickets() -> list[tuple[Ticket, dt.datetime]]:
    """Tickets waiting on their requester, with the instant the wait began."""
    since = (
        select(TicketEvent.ticket_id, func.max(TicketEvent.created_at).label("since"))
        .where(
            TicketEvent.kind == EventKind.CHANGE,
            TicketEvent.field == "status",
            TicketEvent.new_value == Status.WAITING_ON_REQUESTER.value,
        )
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Ticket, since.c.since)
        .join(since, since.c.ticket_id == Ticket.id)
        .where(Ticket.status == Status.WAITING_ON_REQUESTER)
        .order_by(Ticket.id)
    ).all()
    return [(ticket, _aware(when)) for ticket, when in rows]


def _aware(value: dt.datetime) -> dt.datetime:
    # max() over a UTCDateTime column comes back raw (naive on SQLite).
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _reminded(ticket: Ticket, since: dt.datetime) -> bool:
    return (
        db.session.scalar(
            select(Notification.id)
            .where(
                Notification.ticket_id == ticket.id,
                Notification.event == NotificationEvent.REMINDER,
                Notification.created_at >= since,
            )
            .limit(1)
        )
        is not None
    )


def send_waiting_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind requesters who have not answered for N business days; returns how many."""
    now = now or utcnow()
    config = current_app.config
    reminder_days, close_days = config["WAITING_REMINDER_DAYS"], config["WAITING_AUTOCLOSE_DAYS"]
    count = 0
    for ticket, since in waiting_tickets():
        if add_business_days(since, reminder_days, ticket.queue) > now:
            continue
        close_at = add_business_days(since, close_days, ticket.queue)
        if close_at <= now or _reminded(ticket, since):
            continue  # auto-close is due (its own notice says it all), or already reminded
        notify(
            ticket,
            ticket.requester,
            NotificationEvent.REMINDER,
            data={"since": since.isoformat(), "close_at": close_at.isoformat()},
            key=f"reminder:{since.isoformat()}",
            quiet_hours=True,
        )
        count += 1
    db.session.commit()  # a concurrent run's duplicates are dropped by the outbox's unique key
    return count


def auto_close_waiting(*, now: dt.datetime | None = None) -> int:
    """Close tickets still waiting on their requester after M business days."""
    now = now or utcnow()
    days = current_app.config["WAITING_AUTOCLOSE_DAYS"]
    closed = 0
    for ticket_id, since in [(t.id, s) for t, s in waiting_tickets()]:
        ticket = db.session.get(Ticket, ticket_id)
        if ticket is None or add_business_days(since, days, ticket.queue) > now:
            continue
        try:
            apply_status(ticket, Status.CLOSED, None, Actor.SYSTEM, at=now)
            db.session.commit()
            closed += 1
        except (TransitionError, SQLAlchemyError):
            # Someone answered or edited meanwhile: leave it for the next run.
            db.session.rollback()
            log.info("auto-close skipped ticket %s", ticket_id, exc_info=True)
    return closed
