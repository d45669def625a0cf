"""Who may see which ticket: ONE rule, used by list queries and by single-ticket lookups.

- a requester sees the tickets they asked for (and nothing internal);
- a technician sees the tickets of the queues they belong to;
- an admin sees every ticket.
A ticket outside that rule answers 404, not 403, so its existence is not revealed.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, Select, false, select, true

from desk.auth.models import Role, User
from desk.extensions import db
from desk.reference.models import QueueMembership
from desk.tickets.models import Attachment, Ticket, TicketEvent


def visibility_clause(user: User) -> ColumnElement[bool]:
    """The WHERE condition selecting the tickets `user` may see."""
    if not user.is_authenticated or not user.is_active:
        return false()
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.TECHNICIAN:
        member_queues = select(QueueMembership.queue_id).where(QueueMembership.user_id == user.id)
        return Ticket.queue_id.in_(member_queues.scalar_subquery())
    return Ticket.requester_id == user.id


def worked_clause(user: User) -> ColumnElement[bool]:
    """Tickets `user` may act on as staff (queue membership; all for admins; none else)."""
    if user.role is Role.REQUESTER:
        return false()
    return visibility_clause(user)


def visible_tickets(user: User) -> Select[tuple[Ticket]]:
    """SELECT of the tickets `user` may see; add filters, ordering and paging to it."""
    return select(Ticket).where(visibility_clause(user))


def get_visible_ticket_or_404(user: User, reference: str, *, for_update: bool = False) -> Ticket:
    """The ticket with that reference if `user` may see it, else 404."""
    query = visible_tickets(user).where(Ticket.reference == reference)
    if for_update:
        query = query.with_for_update()
    ticket = db.session.scalar(query)
    if ticket is None:
        abort(404)
    return ticket


def can_see(user: User, ticket: Ticket) -> bool:
    """The same rule, for an already-loaded ticket."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.TECHNICIAN:
        return ticket.queue_id in user.queue_ids
    return ticket.requester_id == user.id


def can_work(user: User, ticket: Ticket) -> bool:
    """May `user` act on `ticket` as staff (assign, reply, change status...)?"""
    return user.role is not Role.REQUESTER and can_see(user, ticket)


def sees_internal(user: User) -> bool:
    """Only staff see internal notes and internal attachments."""
    return user.role in (Role.TECHNICIAN, Role.ADMIN)


def timeline_events(user: User, ticket: Ticket) -> list[TicketEvent]:
    """The timeline of `ticket` as `user` may see it (no internal entries for requesters)."""
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if not sees_internal(user):
        query = query.where(TicketEvent.is_internal.is_(False))
    return list(db.session.scalars(query.order_by(TicketEvent.id)))


def get_visible_attachment_or_404(user: User, attachment_id: int) -> Attachment:
    """An attachment of a ticket `user` may see (internal ones for staff only), else 404."""
    query = (
        select(Attachment)
        .join(Ticket, Ticket.id == Attachment.ticket_id)
        .where(Attachment.id == attachment_id, visibility_clause(user))
    )
    if not sees_internal(user):
        query = query.where(Attachment.is_internal.is_(False))
    attachment = db.session.scalar(query)
    if attachment is None:
        abort(404)
    return attachment
