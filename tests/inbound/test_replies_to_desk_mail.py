"""Answers to the e-mails desk really sends (the acknowledgement, a technician's reply, the
"waiting on you" status e-mail, the resolution with its rating link), shaped by each mail
client, through the real IMAP server: the words once, in the right ticket, no history."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.inbound.services import fetch_mail
from desk.tickets.actions import add_reply, assign_ticket, change_status
from desk.tickets.models import Status, TicketEvent
from tests.inbound import clients
from tests.notifications.helpers import deliver_all, submit
from tests.support.factories import make_queue, make_request_type, make_user

WORDS = (
    "L’imprimante du 2e étage affiche toujours « Bourrage papier » (code E-204).\n"
    "J’ai ouvert tous les bacs comme indiqué sur l’écran, retiré la feuille coincée et "
    "redémarré l’appareil deux fois, sans succès : le message revient dès le premier essai."
)


def desk_mail(smtp):
    """A ticket and the four e-mails its requester received, as the SMTP server got them."""
    queue = make_queue()
    requester = make_user(email="marie.dupont@umontpellier.fr", name="Marie Dupont")
    tech = make_user(email="tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, request_type=make_request_type(queue=queue))
    sent = []
    for change in (
        lambda: None,
        lambda: (
            assign_ticket(ticket, tech, actor=tech) and add_reply(ticket, "Modèle ?", actor=tech)
        ),
        lambda: change_status(ticket, Status.WAITING_ON_REQUESTER, actor=tech),
        lambda: change_status(ticket, Status.RESOLVED, actor=tech, note="Pièce changée."),
    ):
        change()
        deliver_all()
        mine = smtp.to(requester.email)
        assert mine, "desk sent its requester nothing"
        sent.append(mine[-1])
        smtp.messages.clear()
    return ticket, sent


def timeline(ticket) -> str:
    db.session.expire_all()
    return "\n".join(
        " ".join(filter(None, (e.body, getattr(e, "note", None))))
        for e in db.session.query(TicketEvent).filter_by(ticket_id=ticket.id)
    )


@pytest.mark.parametrize("client", sorted(clients.CLIENTS))
def test_answers_to_each_desk_email_keep_the_words_once(db, smtp, mailbox, client):
    ticket, sent = desk_mail(smtp)
    expected = WORDS.replace("’", "'") if client in clients.LATIN_1 else WORDS
    for number, original in enumerate(sent, start=1):
        words = f"Message {number} : {expected}"
        mailbox.append("INBOX", clients.CLIENTS[client](original, words))
    # Strangers answering the acknowledgement they were forwarded: another account, and an
    # outside address with the requester's name.
    make_user(email="eve@umontpellier.fr", name="Eve")
    for sender in ("Eve <eve@umontpellier.fr>", "Marie Dupont <marie.dupont@gmail.example>"):
        mailbox.append("INBOX", clients.CLIENTS[client](sent[0], "Intrus", sender=sender))
    assert fetch_mail().counts == {"appended": 4, "held": 2}
    text = timeline(ticket)
    assert "Intrus" not in text
    for number in range(1, 5):
        assert text.count(f"Message {number} : {expected}") == 1, number
    assert "Bonjour" not in text and "a écrit" not in text and "De :" not in text
