"""A ticket taken from its technician, end to end: the staff page's buttons, a real Celery
worker process, a real SMTP server, the bell. Its former holder hears it exactly once, in
their language; the one who acted hears nothing of their own act."""

from __future__ import annotations

import re

import pytest

from desk.auth.models import Role
from tests.notifications.helpers import submit
from tests.notifications.test_staff_worker import _bell, _settled
from tests.support.factories import make_queue, make_user

pytestmark = pytest.mark.worker


def _post(client, ticket, action: str, **fields: str):
    page = client.get(f"/tickets/{ticket.reference}").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {"version": version, "csrf_token": client.last_csrf, **fields}
    response = client.post(f"/tickets/{ticket.reference}/{action}", data=data)
    assert response.status_code == 302, response.text[:500]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def three_technicians():
    """A queue, its three technicians (Karim reads English) and an English requester."""
    queue = make_queue()
    karim = make_user(
        "karim@umontpellier.fr",
        role=Role.TECHNICIAN,
        queues=(queue,),
        locale="en",
        name="Karim Benali",
    )
    sophie = make_user(
        "sophie@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), name="Sophie Durand"
    )
    leo = make_user("leo@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), name="Léo Petit")
    return queue, karim, sophie, leo, make_user("claire@umontpellier.fr", locale="en")


def test_each_former_holder_hears_it_once_in_their_language(db, smtp, worker, login):
    queue, karim, sophie, leo, requester = three_technicians()
    ticket = submit(requester, queue=queue, subject="Imprimante bloquée")
    _settled(smtp, 4)  # the acknowledgement, and a new ticket for each technician

    as_karim, as_sophie, as_leo = login(karim), login(sophie), login(leo)
    _post(as_karim, ticket, "claim")
    _settled(smtp, 4)  # his own act: nobody is told

    # Sophie takes it while Karim holds it: Karim hears it, in English.
    _post(as_sophie, ticket, "claim")
    _settled(smtp, 5)
    (to_karim,) = smtp.to(karim.email)[1:]
    assert " ".join(to_karim["Subject"].split()).startswith(
        f"[{ticket.reference}] No longer assigned to you: "
    )
    assert "Sophie Durand took this ticket: it is no longer assigned to you." in _text(to_karim)
    assert len(smtp.to(sophie.email)) == 1  # her new-ticket e-mail only

    # Léo gives it to Karim: Sophie hears it (in French, her language), Karim of his assignment.
    _post(as_leo, ticket, "assign", assignee=str(karim.id))
    _settled(smtp, 7)
    (to_sophie,) = smtp.to(sophie.email)[1:]
    assert to_sophie["Subject"].startswith(f"[{ticket.reference}] ")
    body = _text(to_sophie)
    assert "Bonjour Sophie Durand" in body and "Hello" not in body
    assert "Léo Petit" in body and "Karim Benali" in body
    assert smtp.to(karim.email)[-1]["Subject"].startswith(f"[{ticket.reference}] Assigned to you")

    # Sophie puts it back in the queue: Karim hears it once (not also as the queue's member
    # told of a ticket back without a technician), Léo as the queue's member.
    _post(as_sophie, ticket, "give-back", note="Karim est en congé demain")
    _settled(smtp, 9)
    to_karim = smtp.to(karim.email)[-1]
    assert len(smtp.to(karim.email)) == 4
    assert "No longer assigned to you" in " ".join(to_karim["Subject"].split())
    assert "Karim est en congé demain" in _text(to_karim)
    assert "nobody holds it now" in _text(to_karim)
    assert len(smtp.to(leo.email)) == 2 and len(smtp.to(requester.email)) == 1

    # The bell: taken, assigned, taken back to the queue (the new ticket was read when he
    # opened its page to claim it).
    assert _bell(as_karim) == 3
    bell = as_karim.get("/notifications").text
    assert bell.count("No longer assigned to you") == 2
