"""Parts that mail clients add on their own (a meeting invitation's iCalendar, a vCard,
Outlook's winmail.dat) are skipped, not refused: the words and the person's files arrive. A
file the person chose that the allow-list refuses still holds the whole message."""

from __future__ import annotations

import pytest

from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.helpers import attachments, events, ledger, people_and_ticket, signed
from tests.inbound.test_requests import ADDRESS, _queue_with_address, _tickets
from tests.inbound.test_services import drop
from tests.support.factories import make_user


def _files(ticket) -> list[str]:
    return sorted(a.filename for a in attachments(ticket) if not a.is_internal)


def test_a_reply_with_client_parts_is_appended_with_the_persons_files(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.with_client_parts(
        sender=requester.email,
        to=signed(ticket),
        subject="x",
        files=[("devis.pdf", "application", "pdf", samples.PDF)],
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "Voici le devis."
    assert _files(ticket) == ["devis.pdf"]
    # The message as sent, invitation and vCard included, stays the staff-only original.
    assert [a.filename.endswith(".eml") for a in attachments(ticket) if a.is_internal] == [True]


def test_a_new_request_with_client_parts_opens_its_ticket(app_ctx, inbound):
    _queue_with_address()
    make_user(email="claire.martin@umontpellier.fr")
    raw = samples.with_client_parts(
        sender="claire.martin@umontpellier.fr", to=ADDRESS, subject="Réunion salle B-214"
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = _tickets()
    assert ticket.data["message"] == "Voici le devis." and _files(ticket) == []


def test_a_refused_file_of_the_person_still_holds_the_message(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.with_client_parts(
        sender=requester.email,
        to=signed(ticket),
        subject="x",
        files=[("setup.exe", "application", "octet-stream", b"MZ\x90\x00")],
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    (row,) = ledger()
    assert row.status is InboundStatus.HELD and row.reason is HoldReason.ATTACHMENT
    assert row.data["name"] == "setup.exe"
    assert events(ticket, EventKind.COMMENT) == []


def test_an_empty_file_is_skipped_and_the_words_arrive(db, inbound):
    """A zero-byte file (an empty log, a part the client left empty) shows nothing: refused as
    an upload it held the whole reply, its words unseen and its sender not told."""
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.with_files(
        sender=requester.email,
        to=signed(ticket),
        subject="x",
        words="Voici le journal, vide, et le devis.",
        files=[
            ("erreurs.log", "text", "plain", b""),
            ("devis.pdf", "application", "pdf", samples.PDF),
        ],
        inline_image=None,
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "Voici le journal, vide, et le devis."
    assert _files(ticket) == ["devis.pdf"]


@pytest.mark.parametrize("subtype", ["x-png", "png"])
def test_an_unnamed_picture_of_an_old_image_type_arrives(db, inbound, subtype):
    """image/x-png (and image/jpg, image/pjpeg), which some clients still write, has no
    extension `mimetypes` knows: the unnamed picture was "image-N.bin", refused as an upload,
    and the whole reply was held."""
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.with_files(
        sender=requester.email,
        to=signed(ticket),
        subject="x",
        words="Voici la capture.",
        files=[],
        inline_image=samples.SCREENSHOT,
        inline_type=subtype,
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "Voici la capture."
    (name,) = _files(ticket)
    assert name.endswith(".png")
