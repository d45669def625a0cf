"""Build a ticket with its people, and read back what incoming mail did."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from desk.auth.models import Role
from desk.extensions import db
from desk.inbound.address import reply_address
from desk.inbound.models import InboundMessage
from desk.tickets.models import Attachment, TicketEvent
from tests.support.factories import make_queue, make_ticket, make_user


def people_and_ticket(status: str = "in_progress", **extra):
    """(requester, technician of the queue, stranger, ticket)."""
    queue = make_queue()
    requester = make_user(email="marie.dupont@umontpellier.fr", name="Marie Dupont")
    tech = make_user(email="tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    stranger = make_user(email="eve@umontpellier.fr")
    ticket = make_ticket(requester=requester, queue=queue, status=status, **extra)
    return requester, tech, stranger, ticket


def signed(ticket, *, staff: bool = False) -> str:
    """The ticket's reply address, as the e-mails to its requester (or, `staff`, to staff)
    carry it."""
    return reply_address(
        current_app.config["REPLY_ADDRESS"],
        ticket.reference,
        current_app.config["SECRET_KEY"],
        staff=staff,
    )


def events(ticket, kind=None) -> list[TicketEvent]:
    db.session.expire_all()
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if kind is not None:
        query = query.where(TicketEvent.kind == kind)
    return list(db.session.scalars(query.order_by(TicketEvent.id)))


def ledger() -> list[InboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def attachments(ticket) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)))
