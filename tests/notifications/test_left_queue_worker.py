"""A technician taken out of a queue, end to end: the admin's members page (or the nightly
directory sync), a real Celery worker process, a real SMTP server, the bell. The open
tickets they held there go back to it, and they hear it for each, once, in their language,
under their switch for tickets taken from them; the queue hears it as before."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desk.auth.models import Role
from desk.notifications.models import NotificationEvent
from desk.notifications.services import set_email_preferences
from desk.reference.models import QueueMembership
from desk.tickets.actions import release_tickets
from tests.notifications.helpers import assign, submit
from tests.notifications.test_staff_worker import _settled
from tests.notifications.test_taken_over_worker import _text, three_technicians
from tests.support.factories import make_user

pytestmark = pytest.mark.worker

E = NotificationEvent


def _subjects(smtp, person) -> list[str]:
    return [" ".join(m["Subject"].split()) for m in smtp.to(person.email)]


def test_each_technician_taken_out_of_a_queue_hears_of_each_ticket_it_took(db, smtp, worker, login):
    queue, karim, sophie, leo, requester = three_technicians()
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN, name="Admin Desk")
    # Léo hears of tickets taken from him in the bell only.
    set_email_preferences(leo, set(), actor=leo, offered={E.TAKEN_OVER})
    printer, socket, screen, keyboard = (
        submit(requester, queue=queue, subject=subject)
        for subject in ("Imprimante", "Prise murale", "Écran noir", "Clavier")
    )
    for ticket, holder in ((printer, karim), (socket, karim), (screen, sophie), (keyboard, leo)):
        assign(ticket, holder, actor=holder)  # each took their own: nobody told
    db.session.commit()
    _settled(smtp, 16)  # 4 acknowledgements, and 4 new tickets for each technician
    as_admin, as_karim = login(admin), login(karim)

    # The admin takes Karim out of the queue on its members page: his two tickets go back to
    # it; he hears of each, in English, with no link to pages no longer his.
    as_admin.get(f"/admin/queues/{queue.id}/members")
    response = as_admin.post(
        f"/admin/queues/{queue.id}/members/{karim.id}/remove",
        data={"csrf_token": as_admin.last_csrf},
    )
    assert response.status_code == 302
    _settled(smtp, 22)  # 2 to Karim; Sophie and Léo each hear of the 2 tickets back
    to_karim = smtp.to(karim.email)[4:]
    assert sorted(m["Subject"].split("]")[0][1:] for m in to_karim) == sorted(
        [printer.reference, socket.reference]
    )
    for message in to_karim:
        assert "] No longer assigned to you: " in " ".join(message["Subject"].split())
        body = _text(message)
        queue_name = queue.name_en or queue.name_fr
        assert (
            f"You are no longer in the queue “{queue_name}”: this ticket you held went back "
            "to it, and nobody holds it now." in body
        )
        assert "Open the ticket" not in body
    assert len(smtp.to(sophie.email)) == len(smtp.to(leo.email)) == 6
    assert as_karim.get("/notifications").text.count("You are no longer in the queue") == 2

    # The nightly directory sync takes Sophie and Léo out of it (the same service, no actor):
    # Sophie hears it in French; Léo in his bell only, as he chose.
    for person in (sophie, leo):
        person.memberships.remove(
            db.session.scalar(select(QueueMembership).where(QueueMembership.user_id == person.id))
        )
        release_tickets(person, actor=None)
    db.session.commit()
    # Sophie's; Léo, still in the queue then, of her ticket back in it; the admin of Léo's
    # (nobody left in the queue).
    _settled(smtp, 25)
    (to_sophie,) = smtp.to(sophie.email)[6:]
    assert to_sophie["Subject"].startswith(f"[{screen.reference}] ")
    body = _text(to_sophie)
    assert "Bonjour Sophie Durand" in body and "Hello" not in body
    assert len(smtp.to(leo.email)) == 7
    assert "No longer assigned to you" not in _subjects(smtp, leo)[-1]
    as_leo = login(leo)
    bell = as_leo.get("/notifications").text
    assert keyboard.reference in bell
