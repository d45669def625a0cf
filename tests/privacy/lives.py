"""A ticket with a real life, three years old, and the helpers of the retention tests."""

from __future__ import annotations

import datetime as dt
import io
import re

from sqlalchemy import func, select, update

from desk.core.db import utcnow
from desk.extensions import db
from desk.followups.models import FollowUp
from desk.notifications.models import DeliveryStatus, Notification
from desk.satisfaction.models import Rating
from desk.tickets.history import apply_status
from desk.tickets.models import Status, Ticket, TicketEvent
from desk.tickets.workflow import Actor
from desk.watchers.models import TicketWatcher
from tests.support.factories import make_user

LONG_AGO = dt.timedelta(days=1096)  # past the default 1,095 days


def page_version(page: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def post_on_ticket(client, ticket, action: str, data: dict):
    page = client.get(f"/tickets/{ticket.reference}").text
    payload = {"version": page_version(page), "csrf_token": client.last_csrf, **data}
    return client.post(
        f"/tickets/{ticket.reference}/{action}", data=payload, content_type="multipart/form-data"
    )


def age(ticket: Ticket, delta: dt.timedelta) -> None:
    db.session.execute(
        update(Ticket).where(Ticket.id == ticket.id).values(updated_at=utcnow() - delta)
    )
    db.session.commit()


def lived_ticket(desk, login):
    """The network ticket after a real life: the requester's message and file, a reply, an
    internal note with its file, someone in copy, a reminder, e-mails sent, resolved and
    rated with a comment, then closed; all of it three years ago."""
    claire = login(desk.requester)
    ref = desk.ticket.reference
    response = claire.submit(
        f"/mes-demandes/{ref}/commentaire",
        {
            "body": "Mon bureau 214, poste PC-LAB-42",
            "attachment": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf"),
        },
        page=f"/mes-demandes/{ref}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    tech = login(desk.tech)
    assert (
        post_on_ticket(tech, desk.ticket, "reply", {"body": "Prise murale changée"}).status_code
        == 302
    )
    note = {"body": "Mot de passe admin du switch", "attachment": (io.BytesIO(b"secret"), "n.txt")}
    assert post_on_ticket(tech, desk.ticket, "note", note).status_code == 302
    friend = make_user("ami@umontpellier.fr", name="Paul Ami")
    db.session.add(TicketWatcher(ticket_id=desk.ticket.id, user_id=friend.id))
    db.session.add(
        FollowUp(ticket_id=desk.ticket.id, user_id=desk.tech.id, due_at=utcnow(), note="x")
    )
    ticket = db.session.get(Ticket, desk.ticket.id)
    apply_status(ticket, Status.IN_PROGRESS, desk.tech, Actor.STAFF)
    apply_status(ticket, Status.RESOLVED, desk.tech, Actor.STAFF)
    db.session.add(
        Rating(ticket_id=ticket.id, user_id=desk.requester.id, score=4, comment="Merci Karim")
    )
    apply_status(ticket, Status.CLOSED, None, Actor.SYSTEM)
    db.session.commit()  # the outbox rows are written with it
    db.session.execute(
        update(Notification)
        .where(Notification.ticket_id == ticket.id)
        .values(status=DeliveryStatus.SENT, sent_at=utcnow())
    )
    db.session.commit()
    age(ticket, LONG_AGO)
    return ticket


def events_of(ticket: Ticket) -> list[TicketEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)))


def count_rows(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)
