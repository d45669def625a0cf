"""The signature logo Outlook sends with every message never reaches the ticket: a picture its
HTML shows small (or in a signature block) is decoration, and desk keeps only the text
(desk.inbound.decoration); an inline image whose bytes the ticket already shows is not added
again either. A screenshot pasted in the body and a file attached as such always are; each
message stays whole in its original, for staff."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from desk.core.db import utcnow
from desk.inbound.models import HoldReason
from desk.inbound.parsing import parse
from desk.inbound.services import fetch_mail
from desk.tickets.models import EventKind, Status, Ticket
from tests.inbound import samples
from tests.inbound.conftest import count
from tests.inbound.helpers import attachments, events, ledger, people_and_ticket, signed
from tests.inbound.test_requests import ADDRESS, _queue_with_address
from tests.inbound.test_services import drop
from tests.support.factories import make_user

_PDF = ("application", "pdf", samples.PDF)


def _shown(ticket) -> list[tuple[str, int | None]]:
    """(file name, event) of the files the requester sees, oldest first."""
    files = sorted((a for a in attachments(ticket) if not a.is_internal), key=lambda a: a.id)
    return [(a.filename, a.event_id) for a in files]


def test_the_signature_logo_of_a_reply_is_never_added(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    to = signed(ticket)
    reply = samples.outlook_signature(sender=requester.email, to=to, subject="RE: wifi")
    drop(inbound, "1.eml", reply)
    assert fetch_mail().counts == {"appended": 1}
    assert _shown(ticket) == []
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
    assert _shown(ticket) == []
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


def test_outlook_replies_read_over_imaps_never_add_the_logo(db, mailbox):
    requester, _tech, _stranger, ticket = people_and_ticket()
    to = signed(ticket)
    for n in (1, 2):
        raw = samples.outlook_signature(
            sender=requester.email, to=to, subject=f"RE: [{ticket.reference}] x", words=f"N{n}."
        )
        mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"appended": 2}
    assert [c.body for c in events(ticket, EventKind.COMMENT)] == ["N1.", "N2."]
    assert _shown(ticket) == []
    assert count(mailbox, "processed") == 2 and count(mailbox, "INBOX") == 0


def test_a_new_request_from_outlook_has_its_files_and_not_the_logo(db, mailbox):
    """Over IMAPS: an Outlook request with its logo, a pasted screenshot and a PDF opens a
    ticket with the screenshot and the PDF; the logo stays in the original, for staff."""
    _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr")
    raw = samples.outlook_signature(
        sender=user.email,
        to=ADDRESS,
        subject="Imprimante",
        words="L’imprimante affiche ceci :",
        pasted=samples.SCREENSHOT,
        files=[("devis.pdf", *_PDF)],
    )
    mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = db.session.query(Ticket).all()
    assert [name for name, _event in _shown(ticket)] == ["image002.png", "devis.pdf"]
    (original,) = [a for a in attachments(ticket) if a.is_internal]  # the logo is in it
    assert original.filename.endswith(".eml")


def _html_mail(sender, to, html: str, pictures: dict[str, bytes], text="Voir ci-dessous.") -> bytes:
    """text + HTML (multipart/related with `pictures` by Content-ID), as Gmail or Thunderbird."""
    message = EmailMessage(policy=SMTP)
    message["From"], message["To"], message["Subject"] = sender, to, "Imprimante"
    message["Message-ID"] = "<m1@mail.example.org>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    related = message.get_payload()[1]
    for cid, content in pictures.items():
        related.add_related(content, "image", "png", cid=f"<{cid}>")
    return message.as_bytes()


@pytest.mark.parametrize(
    ("html", "kept"),
    [
        # Gmail's signature block, a picture without a size in it: its logo.
        (
            '<div>Voir ci-dessous.</div><div class="gmail_signature"><img src="cid:a@g"></div>',
            [],
        ),
        # Thunderbird's and Outlook on the web's.
        ('<p>x</p><div class="moz-signature"><img src="cid:a@g" width=600></div>', []),
        ('<p>x</p><div id="Signature"><p><img src="cid:a@g"></p></div>', []),
        # Social-network icons, shown 24 px wide; the cid percent-encoded (RFC 2392).
        ('<p>x</p><img src="CID:a%40g" width="24" height="24">', []),
        # Shown large, or with no size said: a screenshot.
        ('<p>x</p><img src="cid:a@g" width="800" height="450">', ["image-3.png"]),
        ('<p>x</p><img src="cid:a@g">', ["image-3.png"]),
        # Shown small once and large once: the person shows it, it is no logo.
        ('<img src="cid:a@g" width=20><img src="cid:a@g" width=900>', ["image-3.png"]),
        # Not shown by the HTML at all (Apple Mail's picture between two texts): kept.
        ("<p>x</p>", ["image-3.png"]),
    ],
)
def test_decoration_is_what_the_html_shows_small_or_in_a_signature(html, kept):
    raw = _html_mail("a@univ.example", "b@univ.example", html, {"a@g": samples.SCREENSHOT})
    assert [f.filename for f in parse(raw).attachments] == kept


def test_a_logo_attached_as_a_file_is_kept():
    raw = samples.outlook_signature(
        sender="a@univ.example",
        to="b@univ.example",
        subject="x",
        files=[("logo.png", "image", "png", samples.LOGO)],
    )
    assert [f.filename for f in parse(raw).attachments] == ["logo.png"]
