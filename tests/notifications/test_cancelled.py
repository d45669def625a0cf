"""A requester who cancels their request: the technician holding it (who may be on their way
to it) is told, in the bell and by e-mail as they chose, in their language, with the reason
given. Before, nobody on the staff heard of it: the ticket only left their lists. Nobody is
told of an unassigned ticket cancelled (it only leaves the queue's lists), nor of a
cancellation by the desk (the requester is told of that one)."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import STAFF_EVENTS, Channel, NotificationEvent
from desk.notifications.services import set_email_preferences
from desk.tickets.models import Status
from tests.notifications.helpers import assign, rows, submit
from tests.notifications.test_staff_worker import _settled
from tests.support.factories import make_queue, make_user

E = NotificationEvent


@pytest.fixture
def team(db):
    queue = make_queue()
    tech = make_user(
        "karim@umontpellier.fr",
        role=Role.TECHNICIAN,
        queues=(queue,),
        locale="en",
        name="Karim Benali",
    )
    mate = make_user("sophie@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    requester = make_user("claire@umontpellier.fr", name="Claire Martin")
    return queue, tech, mate, requester


def _cancel(login, requester, ticket, reason: str = "") -> None:
    url = f"/mes-demandes/{ticket.reference}"
    response = login(requester).submit(f"{url}/annulation", {"reason": reason}, page=url)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(ticket), ticket.id).status is Status.CANCELLED


@pytest.mark.worker
def test_the_technician_holding_it_hears_it_once_in_their_language(team, smtp, worker, login):
    queue, tech, mate, requester = team
    ticket = submit(requester, queue=queue, subject="Imprimante bloquée")
    assign(ticket, tech, actor=mate)
    db.session.commit()
    _settled(smtp, 4)  # acknowledgement, two new tickets, the assignment

    _cancel(login, requester, ticket, reason="Elle remarche, merci")
    _settled(smtp, 5)
    (mail,) = smtp.to(tech.email)[2:]
    assert " ".join(mail["Subject"].split()) == (
        f"[{ticket.reference}] Cancelled by the requester: Imprimante bloquée"
    )
    text = mail.get_body(("plain",)).get_content()
    assert "Claire Martin cancelled this request: nothing more is needed on it." in text
    assert "Elle remarche, merci" in text
    # Nobody else: not the colleague who does not hold it, not the requester (their own act).
    assert len(smtp.to(mate.email)) == 1 and len(smtp.to(requester.email)) == 1
    bell = login(tech).get("/notifications").text
    assert "Cancelled by the requester" in bell and ticket.reference in bell


def test_an_unassigned_ticket_cancelled_tells_nobody(team, login):
    queue, _tech, _mate, requester = team
    ticket = submit(requester, queue=queue)
    _cancel(login, requester, ticket)
    assert not rows(event=E.CANCELLED)


def test_said_in_french_and_the_e_mail_follows_their_choice(team, login):
    queue, tech, mate, requester = team
    tech.locale = "fr"
    db.session.commit()
    page = login(tech).get("/preferences/notifications").text
    assert "A requester cancels a ticket I hold" in page or "annule" in page
    ticket = submit(requester, queue=queue)
    assign(ticket, tech, actor=mate)
    db.session.commit()
    _cancel(login, requester, ticket, reason="<b>plus besoin</b>")
    (mail,) = rows(Channel.EMAIL, event=E.CANCELLED)
    assert mail.recipient_id == tech.id
    _subject, text, html = render_email(mail.payload, mail.id)
    assert "Bonjour Karim Benali" in text and "Hello" not in text
    assert "<b>plus besoin</b>" not in html and "&lt;b&gt;plus besoin&lt;/b&gt;" in html

    other = submit(requester, queue=queue)
    assign(other, tech, actor=mate)
    db.session.commit()
    set_email_preferences(tech, set(STAFF_EVENTS) - {E.CANCELLED}, actor=tech)
    db.session.commit()
    _cancel(login, requester, other)
    assert [r.channel for r in rows(event=E.CANCELLED, ticket_id=other.id)] == [Channel.INAPP]
