"""Ticket changes made the way the ticket services make them: signal inside, then commit."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from sqlalchemy import select

from desk.auth.models import User
from desk.core.db import utcnow
from desk.extensions import db
from desk.notifications import delivery
from desk.notifications.models import Channel, DeliveryStatus, Notification
from desk.tickets.history import apply_status, record_changes
from desk.tickets.models import EventKind, Status, Ticket, TicketEvent
from desk.tickets.signals import ticket_created, ticket_replied
from desk.tickets.workflow import Actor
from tests.support.factories import make_request_type

_seq = itertools.count(1)


def submit(
    requester: User,
    *,
    queue=None,
    request_type=None,
    subject: str = "Imprimante",
    commit: bool = True,
    language: str | None = None,
) -> Ticket:
    """Create a ticket and send `ticket_created` in its transaction (as create_ticket does)."""
    request_type = request_type or make_request_type(queue=queue)
    now = utcnow()
    ticket = Ticket(
        reference=f"DEM-{now.year}-{900000 + next(_seq):06d}",
        kind=request_type.kind,
        request_type=request_type,
        domain_id=request_type.domain_id,
        category_id=request_type.category_id,
        queue=queue or request_type.default_queue,
        requester=requester,
        subject=subject,
        language=language,
        status=Status.NEW,
        data={},
        created_at=now,
        updated_at=now,
    )
    db.session.add_all(
        [
            ticket,
            TicketEvent(ticket=ticket, actor=requester, kind=EventKind.CREATED, created_at=now),
        ]
    )
    ticket_created.send(ticket, actor=requester)
    if commit:
        db.session.commit()
    return ticket


def assign(ticket: Ticket, assignee: User, *, actor: User) -> None:
    """Assign (and move NEW to ASSIGNED) in one transaction — not committed."""
    old = ticket.assignee_id
    ticket.assignee = assignee
    record_changes(ticket, actor, {"assignee_id": (old, assignee.id)})
    if ticket.status is Status.NEW:
        apply_status(ticket, Status.ASSIGNED, actor, Actor.STAFF)


def transfer(ticket: Ticket, queue, *, actor: User) -> None:
    old = ticket.queue_id
    ticket.queue = queue
    record_changes(ticket, actor, {"queue_id": (old, queue.id)})


def write(ticket: Ticket, author: User, kind: EventKind, body: str) -> TicketEvent:
    """A public reply (REPLY), a requester comment (COMMENT) or an internal NOTE — not committed."""
    event = TicketEvent(
        ticket=ticket,
        actor=author,
        kind=kind,
        body=body,
        is_internal=kind is EventKind.NOTE,
        created_at=utcnow(),
    )
    db.session.add(event)
    ticket_replied.send(ticket, actor=author, event=event)
    return event


def rows(channel: Channel | None = None, **filters) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).filter_by(**filters).order_by(Notification.id)
    if channel is not None:
        query = query.where(Notification.channel == channel)
    return list(db.session.scalars(query))


def deliver_all(*, held_too: bool = False) -> list[str]:
    """Run every due e-mail row through the real delivery code, in this process.

    `held_too`: also the rows held for the queue's business hours, each sent as of its
    opening hour. (Which rows are held depends on the real time the test runs at: a staff
    e-mail written after 17:00 Paris waits for the next morning.)"""
    outcomes = []
    for row in rows(Channel.EMAIL, status=DeliveryStatus.PENDING):
        now = max(utcnow(), row.next_attempt_at) if held_too else None
        outcomes.append(delivery.deliver(row.id, now=now).status)
    return outcomes


def wait_for(condition: Callable[[], bool], timeout: float = 30, what: str = "") -> None:
    """Poll `condition` until it holds; a condition that raises (a database coming back after
    a crash) counts as not yet, its session rolled back."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:
            db.session.rollback()
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")
