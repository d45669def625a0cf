"""Outlook's winmail.dat (application/ms-tnef): the files a person attached in a message
written in rich text are inside it. Dropped as a client's artefact, they were lost; they are
now taken out and go through the upload checks as any other file. One that cannot be read
is dropped as before, and the ticket tells staff. Over the real Dovecot."""

from __future__ import annotations

import hashlib
import html
import io
import struct
import time
import zipfile
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from desk.extensions import db as database
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.inbound.tnef import MAX_ATTRIBUTES, UnreadableTnef, tnef_files
from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.helpers import attachments, events, ledger, people_and_ticket, signed
from tests.inbound.test_requests import ADDRESS, _queue_with_address, _tickets
from tests.support.factories import make_user
from tests.support.tnef import (
    ATT_ATTACHMENT,
    ATT_MESSAGE_CLASS,
    LEVEL_ATTACHMENT,
    PID_ATTACH_METHOD,
    attribute,
    winmail,
)


def _docx() -> bytes:
    # A zip ends with its directory's record, whose last two bytes (the comment's length)
    # are zeros: a copy that loses trailing zeros is no zip any more.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document>Devis</w:document>")
    assert out.getvalue().endswith(b"\x00\x00")
    return out.getvalue()


def _outlook(
    sender: str, to: str, tnef: bytes, *, words="Voici le devis, en pièce jointe."
) -> bytes:
    """Outlook for Windows in rich text: the text, then winmail.dat, no other file part."""
    message = EmailMessage(policy=SMTP)
    message["From"] = f"Marie Dupont <{sender}>"
    message["To"] = to
    message["Subject"] = "RE : [DEM-2026-000001] Votre demande"
    message["Message-ID"] = f"<{hashlib.sha256(tnef).hexdigest()[:16]}@outlook.example>"
    message["X-Mailer"] = "Microsoft Outlook 16.0"
    message.set_content(f"{words}\n", charset="windows-1252", cte="quoted-printable")
    message.add_attachment(tnef, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return message.as_bytes()


def _public(ticket) -> dict[str, str]:
    database.session.expire_all()
    return {a.filename: a.sha256 for a in attachments(ticket) if not a.is_internal}


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_the_files_inside_winmail_dat_reach_the_ticket(db, mailbox):
    requester, _tech, _stranger, ticket = people_and_ticket()
    docx = _docx()
    tnef = winmail([("Relevé de compte.pdf", samples.PDF), ("devis.docx", docx)])
    mailbox.append("INBOX", _outlook(requester.email, signed(ticket), tnef))
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "Voici le devis, en pièce jointe."
    # The long name with its accent; the zip's bytes exact (the library's own copy of
    # them loses the trailing zeros, and the .docx was refused as not a zip).
    assert _public(ticket) == {
        "Relevé de compte.pdf": _digest(samples.PDF),
        "devis.docx": _digest(docx),
    }
    assert events(ticket, EventKind.SYSTEM) == []


def test_a_new_request_from_outlook_keeps_its_files(app_ctx, mailbox):
    _queue_with_address()
    make_user(email="claire.martin@umontpellier.fr")
    tnef = winmail([("capture.png", samples.PNG)])
    mailbox.append("INBOX", _outlook("claire.martin@umontpellier.fr", ADDRESS, tnef))
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = _tickets()
    assert _public(ticket) == {"capture.png": _digest(samples.PNG)}


def test_a_file_inside_goes_through_the_upload_checks(db, mailbox, app, monkeypatch):
    """A type not accepted, or a file over the upload limit, holds the message as the same
    file attached on its own would, and its sender is told which file."""
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 1)
    requester, _tech, _stranger, ticket = people_and_ticket()
    large = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1)
    for files in ([("setup.exe", b"MZ\x90\x00")], [("scan.pdf", large)]):
        mailbox.append("INBOX", _outlook(requester.email, signed(ticket), winmail(files)))
    assert fetch_mail().counts == {"held": 2}
    rows = ledger()
    assert [(r.reason, r.data["name"]) for r in rows] == [
        (HoldReason.ATTACHMENT, "setup.exe"),
        (HoldReason.ATTACHMENT, "scan.pdf"),
    ]
    assert "not accepted" in str(rows[0].data["why"]) and "too large" in str(rows[1].data["why"])
    assert events(ticket, EventKind.COMMENT) == []


def test_more_files_inside_than_a_message_may_have_parts_are_refused(db, mailbox):
    requester, _tech, _stranger, ticket = people_and_ticket()
    files = [(f"page-{n}.pdf", samples.PDF) for n in range(101)]
    mailbox.append("INBOX", _outlook(requester.email, signed(ticket), winmail(files)))
    assert fetch_mail().counts == {"failed": 1}
    (row,) = ledger()
    assert row.status is InboundStatus.FAILED and row.reason is HoldReason.MALFORMED
    assert row.data == {"what": "parts"}
    assert events(ticket, EventKind.COMMENT) == []


def test_an_unreadable_winmail_dat_is_dropped_and_the_ticket_says_so(db, mailbox, login):
    """The words arrive (and a file attached on its own); staff read on the ticket that the
    winmail.dat could not be read, the requester does not."""
    requester, tech, _stranger, ticket = people_and_ticket()
    tech.locale = "en"
    db.session.commit()
    broken = winmail([("devis.pdf", samples.PDF)])
    # Cut inside its first file: an attachment's attribute with no start of attachment.
    truncated = broken[:6] + broken[6:][broken[6:].index(b"\x02\x02\x90\x06\x00") + 14 :]
    for number, tnef in enumerate((truncated, b"not a TNEF stream at all")):
        raw = _outlook(requester.email, signed(ticket), tnef, words=f"Message {number}.")
        mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"appended": 2}
    assert [c.body for c in events(ticket, EventKind.COMMENT)] == ["Message 0.", "Message 1."]
    notes = events(ticket, EventKind.SYSTEM)
    assert [(n.field, n.new_value, n.old_value, n.is_internal) for n in notes] == [
        ("inbound", "unreadable_part", "winmail.dat", True)
    ] * 2
    assert _public(ticket) == {}
    staff = html.unescape(login(tech).get(f"/tickets/{ticket.reference}").text)
    assert (
        staff.count(
            "The e-mail's Outlook attachment “winmail.dat” could not be read: any files in it are "
            "only in the original message kept for staff."
        )
        == 2
    )
    assert "winmail.dat" not in login(requester).get(f"/mes-demandes/{ticket.reference}").text


def test_winmail_dat_sent_as_octet_stream_is_opened_too(db, mailbox):
    """Some relays retype it application/octet-stream: its name says what it is."""
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.with_files(
        sender=requester.email,
        to=signed(ticket),
        subject="x",
        words="Ci-joint.",
        files=[("winmail.dat", "application", "octet-stream", winmail([("a.pdf", samples.PDF)]))],
        inline_image=None,
    )
    mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"appended": 1}
    assert _public(ticket) == {"a.pdf": _digest(samples.PDF)}


def test_a_crafted_stream_is_read_in_bounded_time():
    """Many small attributes before a large file: each attribute is sliced once (the
    library's own walk copied the rest of the stream at each one). Past MAX_ATTRIBUTES the
    stream is unreadable; an attribute running past the end too."""
    large = winmail([(f"page-{n}.pdf", b"%PDF-" + bytes(2_000_000)) for n in range(10)])
    tiny = b"".join(attribute(1, ATT_MESSAGE_CLASS, b"x") for _ in range(MAX_ATTRIBUTES - 60))
    started = time.perf_counter()
    assert len(tnef_files(large[:6] + tiny + large[6:])) == 10
    assert time.perf_counter() - started < 5  # about 0.4 s; the library's walk took 5 s
    with pytest.raises(UnreadableTnef):
        tnef_files(large[:6] + tiny + tiny + large[6:])
    with pytest.raises(UnreadableTnef):
        tnef_files(large[:-1])


# attAttachment's MAPI properties ([MS-OXCDATA] 2.11.1): a count of properties, then each a
# type, a tag, for a multi-valued one (type | 0x1000) a count of values, then the values.
# Counts no bytes follow; the library believed them.
_MULTI_VALUED_SHORT = 0x1002


@pytest.mark.parametrize(
    "properties",
    [
        struct.pack("<I", 100_000),  # properties: the library logged a warning for each
        struct.pack("<IHHI", 1, _MULTI_VALUED_SHORT, PID_ATTACH_METHOD, 500_000),  # values
    ],
    ids=["properties", "multi-valued number"],
)
def test_counts_past_the_end_of_the_properties_make_the_stream_unreadable(properties):
    """A count the bytes after it cannot hold makes the stream unreadable, at once: the
    library went on through it (a warning logged per missing property, an object made per
    missing value of a number; these counts took it seconds, 0xFFFFFFFF held the poller for
    hours or took all its memory), and the file before it was taken as if nothing were
    wrong."""
    hostile = winmail([("devis.pdf", samples.PDF)]) + attribute(
        LEVEL_ATTACHMENT, ATT_ATTACHMENT, properties
    )
    started = time.perf_counter()
    with pytest.raises(UnreadableTnef):
        tnef_files(hostile)
    assert time.perf_counter() - started < 1


def test_millions_of_properties_make_the_stream_unreadable():
    """Values really there, but a million of them (2 MB of a multi-valued number; a message
    may carry 18 MB): the library made an object of each, 10 s and 255 MB here, a gigabyte
    and more at full size. Past MAX_VALUES in the stream it is unreadable, at once; Outlook
    writes a few dozen per file."""
    many = struct.pack("<IHHI", 1, _MULTI_VALUED_SHORT, PID_ATTACH_METHOD, 1_000_000)
    many += bytes(2_000_000)
    hostile = winmail([("devis.pdf", samples.PDF)]) + attribute(
        LEVEL_ATTACHMENT, ATT_ATTACHMENT, many
    )
    started = time.perf_counter()
    with pytest.raises(UnreadableTnef):
        tnef_files(hostile)
    assert time.perf_counter() - started < 1
    # As many files as a message may have, each with its properties, are read.
    files = [(f"page-{n}.pdf", samples.PDF) for n in range(100)]
    assert len(tnef_files(winmail(files))) == 100
