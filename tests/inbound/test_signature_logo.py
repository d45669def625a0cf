"""The signature logo Outlook sends with every reply reaches the ticket once: an inline image
whose bytes the ticket already shows is not added again; a first picture (a pasted
screenshot) and a file attached as such always are."""

from __future__ import annotations

import datetime as dt

from desk.core.db import utcnow
from desk.inbound.models import HoldReason
from desk.inbound.services import fetch_mail
from desk.tickets.models import EventKind, Status
from tests.inbound import samples
from tests.inbound.conftest import count
from tests.inbound.helpers import attachments, events, ledger, people_and_ticket, signed
from tests.inbound.test_services import drop

_PDF = ("application", "pdf", samples.PDF)


def _shown(ticket) -> list[tuple[str, int | None]]:
    """(file name, event) of the files the requester sees, oldest first."""
    files = sorted((a for a in attachments(ticket) if not a.is_internal), key=lambda a: a.id)
    return [(a.filename, a.event_id) for a in files]


def test_the_signature_logo_of_each_reply_is_added_once(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    to = signed(ticket)
    reply = samples.outlook_signature(sender=requester.email, to=to, subject="RE: wifi")
    drop(inbound, "1.eml", reply)
    assert fetch_mail().counts == {"appended": 1}
    (first,) = events(ticket, EventKind.COMMENT)
    assert _shown(ticket) == [("image001.png", first.id)]  # the first one: maybe a screenshot
    for n in (2, 3):
        again = samples.outlook_signature(
            sender=requester.email, to=to, subject="RE: wifi", words=f"Relance {n}."
        )
        drop(inbound, f"{n}.eml", again)
        assert fetch_mail().counts == {"appended": 1}
    assert [c.body for c in events(ticket, EventKind.COMMENT)] == [
        "Toujours la même erreur.",
        "Relance 2.",
        "Relance 3.",
    ]
    assert _shown(ticket) == [("image001.png", first.id)]
    # Nothing is lost: each message is kept whole for staff, its logo in it.
    assert len([a for a in attachments(ticket) if a.is_internal]) == 3


def test_a_new_picture_and_attached_files_still_arrive_beside_a_known_logo(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    to = signed(ticket)
    first = samples.outlook_signature(
        sender=requester.email, to=to, subject="RE: x", files=[("devis.pdf", *_PDF)]
    )
    drop(inbound, "1.eml", first)
    assert fetch_mail().counts == {"appended": 1}
    # The same PDF attached again, and a screenshot pasted in the body, with the same logo:
    # the person chose to send the file again (their words may say why), and the picture is
    # new. The logo is not.
    second = samples.outlook_signature(
        sender=requester.email,
        to=to,
        subject="RE: x",
        words="Voici la capture, et le devis signé.",
        pasted=samples.SCREENSHOT,
        files=[("devis.pdf", *_PDF), ("logo.png", "image", "png", samples.LOGO)],
    )
    drop(inbound, "2.eml", second)
    assert fetch_mail().counts == {"appended": 1}
    one, two = (c.id for c in events(ticket, EventKind.COMMENT))
    assert _shown(ticket) == [
        ("image001.png", one),
        ("devis.pdf", one),
        ("image002.png", two),
        ("devis.pdf", two),
        ("logo.png", two),  # attached as a file: kept, whatever its bytes
    ]


def test_a_reply_of_a_known_logo_and_no_words_is_empty(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket("waiting_on_requester")
    to = signed(ticket)
    drop(inbound, "1.eml", samples.outlook_signature(sender=requester.email, to=to, subject="a"))
    drop(inbound, "2.eml", samples.outlook_signature(sender=requester.email, to=to, subject="b"))
    fetch_mail()
    # Nothing typed, no sign-off: the logo alone (a reply sent by mistake).
    empty = samples.outlook_signature(
        sender=requester.email, to=to, subject="c", words="", sign_off=()
    )
    drop(inbound, "3.eml", empty)
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[-1].reason is HoldReason.EMPTY
    assert len(events(ticket, EventKind.COMMENT)) == 2


def test_a_thank_you_with_a_known_logo_does_not_reopen_the_request(db, inbound):
    # Outlook's « Merci ! » carries the logo: counted as a file, it made the thank-you a
    # message, and the resolved request reopened.
    requester, _tech, _stranger, ticket = people_and_ticket()
    to = signed(ticket)
    drop(inbound, "1.eml", samples.outlook_signature(sender=requester.email, to=to, subject="a"))
    assert fetch_mail().counts == {"appended": 1}
    ticket.status, ticket.resolved_at = Status.RESOLVED, utcnow() - dt.timedelta(hours=1)
    db.session.commit()
    thanks = samples.outlook_signature(sender=requester.email, to=to, subject="b", words="Merci !")
    drop(inbound, "2.eml", thanks)
    assert fetch_mail().counts == {"appended": 1}
    db.session.refresh(ticket)
    assert ticket.status is Status.RESOLVED
    assert events(ticket, EventKind.COMMENT)[-1].body == "Merci !"


def test_outlook_replies_read_over_imaps_add_the_logo_once(db, mailbox):
    requester, _tech, _stranger, ticket = people_and_ticket()
    to = signed(ticket)
    for n in (1, 2):
        raw = samples.outlook_signature(
            sender=requester.email, to=to, subject=f"RE: [{ticket.reference}] x", words=f"N{n}."
        )
        mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"appended": 2}
    assert [c.body for c in events(ticket, EventKind.COMMENT)] == ["N1.", "N2."]
    assert [name for name, _event in _shown(ticket)] == ["image001.png"]
    assert count(mailbox, "processed") == 2 and count(mailbox, "INBOX") == 0
