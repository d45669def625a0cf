"""Who may see which ticket: ONE rule, used by list queries and by single-ticket lookups.

A user sees a ticket when they asked for it, OR they are in copy of it (desk.watchers), OR
they belong to its queue, OR they are an admin. Seeing is not working: staff actions, internal
notes and internal files need queue membership (or admin), so a technician who files a request
routed to another team follows it as any requester does, from "Mes demandes", and never sees
that team's internal notes.
A ticket outside the rule answers 404, not 403, so its existence is not revealed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from flask import abort
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    false,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm.attributes import set_committed_value

from desk.auth.models import Role, User
from desk.extensions import db
from desk.reference.models import Queue, QueueMembership
from desk.tickets.models import Attachment, EventKind, Ticket, TicketEvent
from desk.watchers.models import TicketWatcher


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def worked_clause(user: User) -> ColumnElement[bool]:
    """Tickets `user` may act on as staff: their queues' (all for admins; none else)."""
    if not _active(user) or user.role is Role.REQUESTER:
        return false()
    if user.role is Role.ADMIN:
        return true()
    member_queues = select(QueueMembership.queue_id).where(QueueMembership.user_id == user.id)
    return Ticket.queue_id.in_(member_queues.scalar_subquery())


def watched_clause(user: User) -> ColumnElement[bool]:
    """Tickets `user` is in copy of."""
    watched = select(TicketWatcher.ticket_id).where(TicketWatcher.user_id == user.id)
    return Ticket.id.in_(watched.scalar_subquery())


def followed_clause(user: User) -> ColumnElement[bool]:
    """Tickets `user` follows as a requester does: asked for, or in copy of.

    Written as one IN over a UNION rather than an OR: PostgreSQL reads the two short lists
    by their indexes and joins them, where an OR with a sub-select had it filter every
    ticket a requester's search words matched (160–550 ms at a million tickets, against
    6–8 ms; bench/search.py).
    """
    if not _active(user):
        return false()
    # correlate(None): the first list is read from its own `ticket`, not from the row of
    # the query this condition is put in.
    followed = union_all(
        select(Ticket.id).where(Ticket.requester_id == user.id).correlate(None),
        select(TicketWatcher.ticket_id).where(TicketWatcher.user_id == user.id),
    )
    return Ticket.id.in_(followed.scalar_subquery())


def visibility_clause(user: User) -> ColumnElement[bool]:
    """The WHERE condition selecting the tickets `user` may see: asked for, in copy of, or
    worked."""
    if not _active(user):
        return false()
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.REQUESTER:
        return followed_clause(user)
    return or_(followed_clause(user), worked_clause(user))


def visible_tickets(user: User) -> Select[tuple[Ticket]]:
    """SELECT of the tickets `user` may see; add filters, ordering and paging to it."""
    return select(Ticket).where(visibility_clause(user))


def worked_tickets(user: User) -> Select[tuple[Ticket]]:
    """SELECT of the tickets `user` may work on as staff."""
    return select(Ticket).where(worked_clause(user))


def _one_or_404(query: Select[tuple[Ticket]], reference: str, for_update: bool) -> Ticket:
    query = query.where(Ticket.reference == reference)
    if for_update:
        query = query.with_for_update()
    ticket = db.session.scalar(query)
    if ticket is None:
        abort(404)
    return ticket


def get_visible_ticket_or_404(user: User, reference: str, *, for_update: bool = False) -> Ticket:
    """The ticket with that reference if `user` may see it, else 404."""
    return _one_or_404(visible_tickets(user), reference, for_update)


def get_worked_ticket_or_404(user: User, reference: str, *, for_update: bool = False) -> Ticket:
    """The ticket with that reference if `user` may work on it as staff, else 404."""
    return _one_or_404(worked_tickets(user), reference, for_update)


def can_work(user: User, ticket: Ticket) -> bool:
    """May `user` act on `ticket` as staff (assign, reply, change status, read notes)?"""
    if not _active(user) or user.role is Role.REQUESTER:
        return False
    return user.role is Role.ADMIN or ticket.queue_id in user.queue_ids


def is_watching(user: User, ticket: Ticket) -> bool:
    """Is `user` in copy of `ticket`? (One primary-key look-up.)"""
    if not _active(user):
        return False
    return db.session.get(TicketWatcher, (ticket.id, user.id)) is not None


def can_see(user: User, ticket: Ticket) -> bool:
    """The same rule as `visibility_clause`, for an already-loaded ticket."""
    return _active(user) and (
        ticket.requester_id == user.id or can_work(user, ticket) or is_watching(user, ticket)
    )


def get_followed_ticket_or_404(user: User, reference: str, *, for_update: bool = False) -> Ticket:
    """The ticket with that reference if `user` asked for it or is in copy of it, else 404
    (the requester's pages: staff work a ticket from its staff page)."""
    query = select(Ticket).where(followed_clause(user))
    return _one_or_404(query, reference, for_update)


def follows(user: User, reference: str) -> bool:
    """Whether `user` asked for the ticket with that reference or is in copy of it (the
    rule of get_followed_ticket_or_404, without its 404)."""
    query = select(Ticket.id).where(followed_clause(user), Ticket.reference == reference)
    return db.session.scalar(query) is not None


def sees_internal(user: User, ticket: Ticket) -> bool:
    """Internal notes and files are for the staff working the ticket, never its requester."""
    return can_work(user, ticket)


def timeline_events(user: User, ticket: Ticket) -> list[TicketEvent]:
    """The timeline of `ticket` as `user` may see it (no internal entries unless worked)."""
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if not sees_internal(user, ticket):
        query = query.where(TicketEvent.is_internal.is_(False))
    return list(db.session.scalars(query.order_by(TicketEvent.id)))


def attachment_clause(user: User) -> ColumnElement[bool]:
    """The attachments `user` may download (with `ticket` joined): those of a ticket they
    see; internal ones only for its staff. The one rule of the download and of every list."""
    return and_(
        visibility_clause(user), or_(Attachment.is_internal.is_(False), worked_clause(user))
    )


def visible_attachments(user: User) -> Select[tuple[Attachment]]:
    """SELECT of the attachments `user` may download; add filters to it."""
    return (
        select(Attachment)
        .join(Ticket, Ticket.id == Attachment.ticket_id)
        .where(attachment_clause(user))
    )


def load_timeline_files(
    user: User, events: Sequence[TicketEvent], *, internal: bool = True
) -> None:
    """Give each event of a timeline the files `user` may download, and only those (one
    query): the original e-mail kept as an internal file of a requester's message is not
    listed to them, as the download refuses it. `internal=False` for the requester's page,
    which shows no internal entry even to staff who follow the ticket there."""
    files: dict[int, list[Attachment]] = defaultdict(list)
    if events:
        query = visible_attachments(user).where(Attachment.event_id.in_([e.id for e in events]))
        if not internal:
            query = query.where(Attachment.is_internal.is_(False))
        for attachment in db.session.scalars(query.order_by(Attachment.id)):
            files[attachment.event_id].append(attachment)
    for event in events:
        set_committed_value(event, "attachments", files.get(event.id, []))


def get_visible_attachment_or_404(user: User, attachment_id: int) -> Attachment:
    """An attachment of a ticket `user` may see; internal ones only for its staff; else 404."""
    query = visible_attachments(user).where(Attachment.id == attachment_id)
    attachment = db.session.scalar(query)
    if attachment is None:
        abort(404)
    return attachment


@dataclass(frozen=True)
class MovedAway:
    """What the 404 of a ticket transferred away from one of a technician's queues tells them:
    when, by whom, and the queue that has it now. Nothing of the ticket itself."""

    at: dt.datetime
    actor_id: int | None
    actor_name: str | None
    queue_name_fr: str
    queue_name_en: str

    def queue_name(self, language: str) -> str:
        return self.queue_name_en if language == "en" and self.queue_name_en else self.queue_name_fr


def moved_away_from(user: User, reference: str) -> MovedAway | None:
    """Not an access rule, and never a way in: what a technician's 404 on a ticket they may
    not work may say. The e-mails of their queues (a new ticket, a reminder, a note for them)
    link to /tickets/<ref>; once a ticket is transferred to a queue they do not work, they
    learn that it moved, when, by whom and to which queue (staff know the queue names), never
    its subject, requester or content.

    Only for a ticket they may not work (the one rule above decides, `worked_clause`) that a
    transfer took out of a queue they are a member of now: the latest such transfer. Anyone
    else, and any reference they never had, gets None (the plain 404). One query: the
    ticket by its unique reference, its events by `ix_ticket_event_ticket`.
    """
    if not _active(user) or user.role is not Role.TECHNICIAN:
        return None  # admins work every ticket; requesters never open the staff page
    # Transfers are CHANGE events of `queue_id`, the queues' ids as text (history.record_changes).
    member_queues = select(cast(QueueMembership.queue_id, String)).where(
        QueueMembership.user_id == user.id
    )
    query = (
        select(
            TicketEvent.created_at,
            TicketEvent.actor_id,
            User.display_name,
            Queue.name_fr,
            Queue.name_en,
        )
        .select_from(Ticket)
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .join(Queue, Queue.id == Ticket.queue_id)
        .outerjoin(User, User.id == TicketEvent.actor_id)
        .where(
            Ticket.reference == reference,
            not_(worked_clause(user)),
            TicketEvent.kind == EventKind.CHANGE,
            TicketEvent.field == "queue_id",
            TicketEvent.old_value.in_(member_queues.scalar_subquery()),
        )
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    row = db.session.execute(query).first()
    if row is None:
        return None
    return MovedAway(
        at=row.created_at,
        actor_id=row.actor_id,
        actor_name=row.display_name,
        queue_name_fr=row.name_fr,
        queue_name_en=row.name_en or "",
    )
