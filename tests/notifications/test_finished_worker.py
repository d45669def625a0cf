"""A ticket a colleague finished while someone else held it, end to end: the staff page's
buttons, a real Celery worker process, a real SMTP server, the bell. Its holder hears it
exactly once, in their language, with what was written for the requester; the one who acted
hears nothing of their own act."""

from __future__ import annotations

import pytest

from tests.notifications.helpers import submit
from tests.notifications.test_staff_worker import _bell, _settled
from tests.notifications.test_taken_over_worker import _post, _text, three_technicians

pytestmark = pytest.mark.worker


def test_each_holder_hears_it_once_in_their_language(db, smtp, worker, login):
    queue, karim, sophie, leo, requester = three_technicians()
    as_karim, as_sophie, as_leo = login(karim), login(sophie), login(leo)

    printer = submit(requester, queue=queue, subject="Imprimante bloquée")
    _settled(smtp, 4)  # the acknowledgement, and a new ticket for each technician
    _post(as_karim, printer, "claim")
    _settled(smtp, 4)  # his own act: nobody is told

    # Sophie resolves it while Karim holds it: Karim hears it once, in English, with her
    # words for the requester; the requester hears of the resolution; Sophie and Léo nothing.
    _post(as_sophie, printer, "status", status="resolved", note="Bourrage retiré")
    _settled(smtp, 6)
    (to_karim,) = smtp.to(karim.email)[1:]
    assert " ".join(to_karim["Subject"].split()).startswith(
        f"[{printer.reference}] Finished by a colleague: "
    )
    body = _text(to_karim)
    assert "Sophie Durand resolved this ticket you hold." in body
    assert "Sophie Durand wrote:" in body and "Bourrage retiré" in body
    assert len(smtp.to(requester.email)) == 2
    assert len(smtp.to(sophie.email)) == len(smtp.to(leo.email)) == 1

    # Sophie holds another; Léo cancels it: Sophie hears it in French, her language.
    socket = submit(requester, queue=queue, subject="Prise murale")
    _settled(smtp, 10)
    _post(as_sophie, socket, "claim")
    _post(as_leo, socket, "status", status="cancelled")
    _settled(smtp, 12)
    (to_sophie,) = smtp.to(sophie.email)[2:]
    assert to_sophie["Subject"].startswith(f"[{socket.reference}] ")
    body = _text(to_sophie)
    assert "Bonjour Sophie Durand" in body and "Hello" not in body
    assert "Léo Petit" in body
    assert len(smtp.to(karim.email)) == 3 and len(smtp.to(leo.email)) == 2

    # The bell: the news of the resolution (the new tickets: the first read when he opened
    # its page to claim it, the second unread).
    assert _bell(as_karim) == 2
    bell = as_karim.get("/notifications").text
    assert bell.count("Finished by a colleague") == 1
    assert "Sophie Durand resolved this ticket you hold." in bell
