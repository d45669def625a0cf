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
from sqlalchemy.orm import joinedload

from desk.core.db import utcnow
from desk.extensions import db
from desk.notifications.calendars import add_business_days
from desk.notifications.models import Notification, NotificationEvent
from desk.notifications.outbox import notify
from desk.reference.models import Queue
from desk.tickets.history import apply_status
from desk.tickets.models import EventKind, Status, Ticket, TicketEvent, open_clause
from desk.tickets.workflow import Actor, TransitionError

log = logging.getLogger(__name__)


def waiting_tickets() -> list[tuple[int, Queue | None, dt.datetime]]:
    """(ticket id, queue, since) of the tickets waiting on their requester, `since` being the
    instant the wait began (the latest change to that status).

    Plain rows, not tickets: a run looks at every waiting ticket but loads only those due a
    reminder or a closing. Read from the waiting tickets, each one's own events through their
    (ticket, id) index: grouping every status change of the history first read the whole
    event table at each run. `open_clause()` lets PostgreSQL take the waiting tickets from
    the open tickets' partial index rather than the whole ticket table.
    """
    since = (
        select(func.max(TicketEvent.created_at))
        .where(
            TicketEvent.ticket_id == Ticket.id,
            TicketEvent.kind == EventKind.CHANGE,
            TicketEvent.field == "status",
            TicketEvent.new_value == Status.WAITING_ON_REQUESTER.value,
        )
        .correlate(Ticket)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Ticket.id, Ticket.queue_id, since.label("since"))
        .where(open_clause(), Ticket.status == Status.WAITING_ON_REQUESTER)
        .order_by(Ticket.id)
    ).all()
    queue_ids = {row.queue_id for row in rows}
    queues = (
        {q.id: q for q in db.session.scalars(select(Queue).where(Queue.id.in_(queue_ids)))}
        if queue_ids
        else {}
    )
    # A ticket with no such change (imported as waiting) has no wait to count from.
    return [
        (row.id, queues.get(row.queue_id), _aware(row.since))
        for row in rows
        if row.since is not None
    ]


def _aware(value: dt.datetime) -> dt.datetime:
    # max() over a UTCDateTime column comes back raw (naive on SQLite).
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _last_reminders(ticket_ids: list[int]) -> dict[int, dt.datetime]:
    """When each of these tickets was last reminded, in one query (none: not in the dict)."""
    if not ticket_ids:
        return {}
    rows = db.session.execute(
        select(Notification.ticket_id, func.max(Notification.created_at))
        .where(
            Notification.ticket_id.in_(ticket_ids),
            Notification.event == NotificationEvent.REMINDER,
        )
        .group_by(Notification.ticket_id)
    )
    return {ticket_id: _aware(at) for ticket_id, at in rows}


def _tickets(ids: list[int]) -> list[Ticket]:
    """These tickets with their requesters (the reminder's recipients), in one query."""
    if not ids:
        return []
    statement = select(Ticket).where(Ticket.id.in_(ids)).options(joinedload(Ticket.requester))
    return list(db.session.scalars(statement.order_by(Ticket.id)))


def send_waiting_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind requesters who have not answered for N business days; returns how many."""
    now = now or utcnow()
    config = current_app.config
    reminder_days, close_days = config["WAITING_REMINDER_DAYS"], config["WAITING_AUTOCLOSE_DAYS"]
    due: dict[int, tuple[dt.datetime, dt.datetime]] = {}
    for ticket_id, queue, since in waiting_tickets():
        if add_business_days(since, reminder_days, queue) > now:
            continue
        close_at = add_business_days(since, close_days, queue)
        if close_at > now:  # else auto-close is due: its own notice says it all
            due[ticket_id] = (since, close_at)
    reminded = _last_reminders(list(due))
    # A reminder since the wait began stands for this wait.
    unreminded = [i for i, (since, _c) in due.items() if i not in reminded or reminded[i] < since]
    count = 0
    for ticket in _tickets(unreminded):
        since, close_at = due[ticket.id]
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
    due = [
        i for i, queue, since in waiting_tickets() if add_business_days(since, days, queue) <= now
    ]
    for ticket_id in due:
        ticket = db.session.get(Ticket, ticket_id)
        if ticket is None:
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
