"""A technician taken out of a queue, end to end: the admin's members page (or the nightly
directory sync), a real Celery worker process, a real SMTP server, the bell. The open
tickets they held there go back to it; they hear it once, in their language, under their
switch for tickets taken from them: one e-mail listing the tickets when they lost several
(each with its reference and subject, and a link only to a page still theirs), one bell
entry per ticket; the queue hears it as before."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desk.auth.models import Role
from desk.notifications.models import Channel, NotificationEvent
from desk.notifications.services import set_email_preferences
from desk.reference.models import QueueMembership
from desk.tickets.actions import release_tickets
from desk.watchers.models import TicketWatcher
from tests.notifications.helpers import assign, rows, submit
from tests.notifications.test_staff_worker import _settled
from tests.notifications.test_taken_over_worker import _text, three_technicians
from tests.support.factories import make_user

pytestmark = pytest.mark.worker

E = NotificationEvent


def _subjects(smtp, person) -> list[str]:
    return [" ".join(m["Subject"].split()) for m in smtp.to(person.email)]


def _bell_events(person) -> list[NotificationEvent]:
    return [r.event for r in rows(Channel.INAPP, recipient_id=person.id)]


def _html(message) -> str:
    return message.get_body(("html",)).get_content()


def test_a_technician_taken_out_of_a_queue_hears_of_the_tickets_it_took_in_one_mail(
    db, smtp, worker, login
):
    queue, karim, sophie, leo, requester = three_technicians()
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN, name="Admin Desk", locale="en")
    # Léo hears of tickets taken from him in the bell only.
    set_email_preferences(leo, set(), actor=leo, offered={E.TAKEN_OVER})
    held = (
        ("Imprimante", karim),
        ("Prise murale", karim),
        ("Souris", karim),
        ("Écran noir", sophie),
        ("Scanner", sophie),
        ("Clavier", leo),
        ("Casque", leo),
    )
    tickets = [submit(requester, queue=queue, subject=subject) for subject, _ in held]
    for ticket, (_, holder) in zip(tickets, held, strict=True):
        assign(ticket, holder, actor=holder)  # each took their own: nobody told
    printer, socket, mouse, screen, scanner, keyboard, headset = tickets
    db.session.add(TicketWatcher(ticket_id=mouse.id, user_id=karim.id))  # Karim is in copy
    db.session.commit()
    _settled(smtp, 28)  # 7 acknowledgements, and 7 new tickets for each technician
    as_admin, as_karim = login(admin), login(karim)

    # The admin takes Karim out of the queue on its members page: his three tickets go back
    # to it; he hears of them in ONE e-mail, in English, each ticket with its reference and
    # subject, a link only to the one he is in copy of (the staff's pages are no longer his).
    as_admin.get(f"/admin/queues/{queue.id}/members")
    response = as_admin.post(
        f"/admin/queues/{queue.id}/members/{karim.id}/remove",
        data={"csrf_token": as_admin.last_csrf},
    )
    assert response.status_code == 302
    _settled(smtp, 31)  # 1 to Karim; Sophie and Léo each hear of the 3 tickets back in 1
    (to_karim,) = smtp.to(karim.email)[7:]
    assert " ".join(to_karim["Subject"].split()) == (
        "No longer assigned to you: 3 tickets you held are back in their queue"
    )
    body = _text(to_karim)
    queue_name = queue.name_en or queue.name_fr
    assert "Hello Karim Benali," in body
    assert (
        f"You are no longer in the queue “{queue_name}”: these tickets you held went back "
        "to it, and nobody holds them now:" in body
    )
    for ticket, subject in ((printer, "Imprimante"), (socket, "Prise murale"), (mouse, "Souris")):
        assert f"- {ticket.reference} — {subject}" in body
    assert "/tickets/" not in body and "/tickets/" not in _html(to_karim)
    assert body.count("Open the ticket: ") == 1
    assert f"/mes-demandes/{mouse.reference}" in body
    assert "this e-mail needs no answer" in body
    html = _html(to_karim)
    assert f'/mes-demandes/{mouse.reference}">{mouse.reference}</a>' in html
    assert printer.reference in html and socket.reference in html
    # Sophie and Léo, still in the queue, hear of the three in ONE e-mail each, in French,
    # each ticket with its staff page (theirs); and keep a bell entry per ticket.
    assert len(smtp.to(sophie.email)) == len(smtp.to(leo.email)) == 8
    (to_sophie,) = smtp.to(sophie.email)[7:]
    body, html = _text(to_sophie), _html(to_sophie)
    assert "Bonjour Sophie Durand" in body and "Karim Benali" in body
    for ticket in (printer, socket, mouse):
        assert f"- {ticket.reference} — " in body
        assert f"/tickets/{ticket.reference}" in body
        assert f'/tickets/{ticket.reference}">{ticket.reference}</a>' in html
    assert _bell_events(sophie).count(E.RETURNED) == 3
    # The bell keeps one entry per ticket.
    assert as_karim.get("/notifications").text.count("You are no longer in the queue") == 3

    # The nightly directory sync takes Sophie and Léo out of it (the same service, no actor,
    # one transaction): Sophie hears of her two in one e-mail, in French; Léo in his bell
    # only, as he chose.
    for person in (sophie, leo):
        person.memberships.remove(
            db.session.scalar(select(QueueMembership).where(QueueMembership.user_id == person.id))
        )
        release_tickets(person, actor=None)
    db.session.commit()
    # Sophie's; Léo, still in the queue then, of her two tickets back in it; the admin of
    # Léo's two (nobody left in the queue): one e-mail each.
    _settled(smtp, 34)
    (to_sophie,) = smtp.to(sophie.email)[8:]
    body = _text(to_sophie)
    assert "Bonjour Sophie Durand" in body and "Hello" not in body
    assert f"- {screen.reference} — Écran noir" in body
    assert f"- {scanner.reference} — Scanner" in body
    assert "Open the ticket" not in body and "Ouvrir" not in body
    assert len(smtp.to(leo.email)) == 9
    body = _text(smtp.to(leo.email)[-1])
    assert "Sophie Durand" in body and screen.reference in body and scanner.reference in body
    (to_admin,) = smtp.to(admin.email)
    # Not "your queue": the admin is told because nobody in it is present.
    assert " ".join(to_admin["Subject"].split()) == (
        "Back in a queue with nobody present, unassigned: 2 tickets"
    )
    body = _text(to_admin)
    assert "Hello Admin Desk," in body
    assert (
        f"These tickets are back in the queue “{queue_name}”, where nobody is present, without"
        " a technician: Léo Petit no longer works this queue." in body
    )
    assert "your queue" not in body and "your queue" not in _html(to_admin)
    assert "<h1>Back in a queue with nobody present, unassigned</h1>" in _html(to_admin)
    for ticket, subject in ((keyboard, "Clavier"), (headset, "Casque")):
        assert f"- {ticket.reference} — {subject}" in body
        assert f"Open the ticket: http://127.0.0.1:5000/tickets/{ticket.reference}" in body
    assert "you are told as an administrator" in body
    assert _bell_events(admin).count(E.RETURNED) == 2
    assert not any("No longer assigned" in s or "plus attribué" in s for s in _subjects(smtp, leo))
    bell = login(leo).get("/notifications").text
    assert keyboard.reference in bell and headset.reference in bell


def test_one_ticket_taken_by_leaving_is_still_told_in_its_own_thread(db, smtp, worker):
    queue, karim, _sophie, _leo, requester = three_technicians()
    ticket = submit(requester, queue=queue, subject="Imprimante")
    assign(ticket, karim, actor=karim)
    db.session.commit()
    _settled(smtp, 4)
    karim.memberships.remove(
        db.session.scalar(select(QueueMembership).where(QueueMembership.user_id == karim.id))
    )
    release_tickets(karim, actor=None)
    db.session.commit()
    _settled(smtp, 7)  # Karim's, and Sophie and Léo of the ticket back
    (to_karim,) = smtp.to(karim.email)[1:]
    assert to_karim["Subject"].startswith(f"[{ticket.reference}] No longer assigned to you: ")
    assert "this ticket you held went back to it" in _text(to_karim)
