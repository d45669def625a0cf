"""A new request by e-mail keeps everything the person sent: a forward ("TR:", "Fwd:", an
attached .eml) is the request itself, not history to cut. A reply to a ticket is still cut."""

from __future__ import annotations

import pytest

from desk.inbound.services import fetch_mail
from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.helpers import attachments, events, ledger, people_and_ticket, signed
from tests.inbound.test_requests import ADDRESS, _queue_with_address, _tickets
from tests.inbound.test_services import drop
from tests.support.factories import make_user

SENDER = "paul.martin@umontpellier.fr"
SUBJECT = "Accès ENT impossible"
STUDENT = "L’étudiant 21804512 ne peut plus se connecter à l’ENT depuis vendredi."


def _request(inbound, raw: bytes) -> str:
    _queue_with_address()
    make_user(email=SENDER)
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = _tickets()
    assert ticket.subject == SUBJECT
    return ticket.data["message"]


def test_an_outlook_forward_is_the_request_whole(app_ctx, inbound):
    raw = samples.outlook_forward_fr(sender=SENDER, to=ADDRESS, subject=SUBJECT)
    message = _request(inbound, raw)
    assert message.startswith("Pour info\n\nCordialement,\nPaul Martin\n\n")
    for kept in (
        "-----Message d'origine-----",
        "De : Service Scolarité <scolarite@umontpellier.fr>",
        "Envoyé : lundi 7 décembre 2026 09:58",
        STUDENT,
        "> Le compte a été réactivé le 2 décembre.",
    ):
        assert kept in message


@pytest.mark.parametrize(
    ("french", "marker"),
    [(False, "---------- Forwarded message ---------"), (True, "---------- Message transféré")],
)
def test_a_gmail_forward_is_the_request_whole(app_ctx, inbound, french, marker):
    raw = samples.gmail_forward(sender=SENDER, to=ADDRESS, subject=SUBJECT, french=french)
    message = _request(inbound, raw)
    assert message.startswith(f"FYI\n\n{marker}")
    assert "scolarite@umontpellier.fr" in message and message.endswith(STUDENT)


def test_an_html_only_forward_keeps_the_forwarded_block(app_ctx, inbound):
    raw = samples.html_forward(sender=SENDER, to=ADDRESS, subject=SUBJECT)
    message = _request(inbound, raw)
    assert message.startswith("Pour info") and STUDENT in message
    assert "De : Service Scolarité" in message and "<div" not in message


def test_a_message_forwarded_as_an_attachment_is_appended_to_the_words(app_ctx, inbound):
    raw = samples.forward_as_attachment(sender=SENDER, to=ADDRESS, subject=SUBJECT)
    message = _request(inbound, raw)
    assert message == f"Pour info\n\nBonjour,\n{STUDENT}"
    # The whole message, the forwarded one inside, is still the staff-only original.
    (ticket,) = _tickets()
    (original,) = attachments(ticket)
    assert original.is_internal and original.filename == (
        f"message-{ledger()[0].content_hash[:12]}.eml"
    )


def test_a_forward_sent_as_a_reply_to_a_ticket_is_still_cut(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.outlook_forward_fr(sender=requester.email, to=signed(ticket), subject="x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "Pour info"


def test_a_forwarded_thread_too_long_keeps_its_beginning_not_held(app_ctx, inbound):
    from desk.inbound.requests import MAX_WORDS

    thread = "Ligne du fil.\n" * 1200
    raw = samples.gmail_forward(sender=SENDER, to=ADDRESS, subject=SUBJECT, forwarded=thread)
    message = _request(inbound, raw)
    assert message.startswith("FYI\n\n----------") and message.endswith("Ligne du fil.\n[…]")
    assert len(message) <= MAX_WORDS + 4


def test_a_reply_shaped_message_to_the_queue_keeps_only_the_new_words(app_ctx, inbound):
    raw = samples.outlook_fr(sender=SENDER, to=ADDRESS, subject=SUBJECT, words="Toujours pas.")
    assert _request(inbound, raw) == "Toujours pas."
