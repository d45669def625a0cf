"""Hostile or broken messages: each held or failed with a reason an admin can read, nothing
appended to the wrong place, and the poll goes on to the next message."""

from __future__ import annotations

import io
import time
import zipfile

from desk.auth.models import Role
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.notifications.models import Notification, NotificationEvent
from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.helpers import attachments, events, ledger, people_and_ticket, signed
from tests.inbound.test_services import drop
from tests.notifications.helpers import deliver_all
from tests.support.factories import make_user


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


def _by_name() -> dict[str, object]:
    return {row.subject.removeprefix("Re: "): row for row in ledger()}


def test_each_bad_message_gets_a_reason_and_the_good_one_still_arrives(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    to = signed(ticket)

    def send(name, subject, **files):
        raw = samples.with_files(sender=requester.email, to=to, subject=subject, **files)
        drop(inbound, name, raw)

    send("01.eml", "huge", files=[("scan.pdf", "application", "pdf", b"%PDF-" + b"0" * 30_000_000)])
    send("02.eml", "big", files=[("scan.pdf", "application", "pdf", b"%PDF-" + b"0" * 11_000_000)])
    send("03.eml", "exe", files=[("setup.exe", "application", "octet-stream", b"MZ\x90\x00")])
    send("04.eml", "bomb", files=[("rapport.docx", "application", "octet-stream", _zip_bomb())])
    send("05.eml", "fake", files=[("photo.png", "image", "png", b"MZ not a png")])
    many = ", ".join(f"user{i}@example.org" for i in range(10_000))
    drop(inbound, "06.eml", samples.gmail(sender=requester.email, to=many, subject="spam"))
    nested = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n" + b"".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
        for i in range(400)
    )
    drop(inbound, "07.eml", b"From: x@y.z\r\nSubject: nested\r\n" + nested)
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(500))
    drop(
        inbound,
        "08.eml",
        b"From: x@y.z\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        + parts
        + b"--b--\r\n",
    )
    send("09.eml", "empty", words="", files=[], inline_image=None)
    send("10.eml", "good", words="Tout va bien.")
    counts = fetch_mail().counts
    assert counts == {"failed": 4, "held": 5, "appended": 1}
    rows = _by_name()
    assert rows["huge"].status is InboundStatus.FAILED
    assert rows["huge"].reason is HoldReason.TOO_LARGE and rows["huge"].data["max"] == 25
    assert rows["huge"].sender == requester.email  # named from its header, never read whole
    for name in ("big", "exe", "bomb", "fake"):
        assert (
            rows[name].status is InboundStatus.HELD and rows[name].reason is HoldReason.ATTACHMENT
        )
    assert rows["big"].data["why"]["params"] == {"max": 10}
    assert "not accepted" in rows["exe"].data["why"]["msgid"]
    assert "does not match" in rows["bomb"].data["why"]["msgid"]
    assert rows["spam"].reason is HoldReason.TOO_MANY_RECIPIENTS
    assert rows["spam"].data == {"count": 10_000, "max": 200}
    assert rows["nested"].reason is HoldReason.MALFORMED
    assert rows["parts"].reason is HoldReason.MALFORMED
    assert rows["empty"].reason is HoldReason.EMPTY
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "Tout va bien."
    assert {a.filename for a in attachments(ticket) if not a.is_internal} == {
        "image-3.png",
        "devis.pdf",
    }


def test_inline_image_and_pdf_reach_the_ticket(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.with_files(sender=requester.email, to=signed(ticket), subject="x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    files = {a.filename: a for a in attachments(ticket)}
    assert files["devis.pdf"].content_type == "application/pdf"
    assert files["image-3.png"].content_type == "image/png"
    assert files["devis.pdf"].event_id == comment.id and not files["devis.pdf"].is_internal


def test_a_flooding_sender_is_throttled_and_the_admins_are_told_once(
    app, db, inbound, smtp, monkeypatch
):
    monkeypatch.setitem(app.config, "INBOUND_MAX_PER_MINUTE", 3)
    admin = make_user(role=Role.ADMIN, locale="en")
    requester, _tech, _stranger, ticket = people_and_ticket()
    # The limit counts per clock minute: all seven messages must fall in the same one.
    left = 60 - time.time() % 60
    if left < 20:
        time.sleep(left + 0.1)
    for i in range(5):
        raw = samples.gmail(
            sender=requester.email, to=signed(ticket), subject=f"n{i}", words=f"Message {i}"
        )
        drop(inbound, f"{i}.eml", raw)
    assert fetch_mail().counts == {"appended": 3, "held": 2}
    held = [r for r in ledger() if r.status is InboundStatus.HELD]
    assert {r.reason for r in held} == {HoldReason.THROTTLED} and held[0].data == {"limit": 3}
    for i in range(5, 7):
        raw = samples.gmail(sender=requester.email, to=signed(ticket), subject=f"n{i}")
        drop(inbound, f"{i}.eml", raw)
    assert fetch_mail().counts == {"held": 2}
    alerts = db.session.query(Notification).filter_by(event=NotificationEvent.INBOUND_ALERT).all()
    assert [a.recipient_id for a in alerts] == [admin.id]  # once, not once per message
    assert "sent" in deliver_all()
    (mail,) = smtp.to(admin.email)
    text = mail.get_body(("plain",)).get_content()
    assert requester.email in mail["Subject"] and "more than 3 e-mails" in text
    # News for the admins, not an answer to the messages (RFC 3834).
    assert mail["Auto-Submitted"] == "auto-generated"
    assert "/admin/inbound" in text
    assert len(events(ticket, EventKind.COMMENT)) == 3


def test_a_made_up_message_id_number_is_no_match_and_the_subject_still_finds_the_ticket(
    db, inbound
):
    """A References number past the id column once made the look-up fail (PostgreSQL refused
    it; int() refuses 5,000 digits): the message failed instead of reaching its ticket."""
    from tests.inbound.test_services import subject_of

    requester, _tech, _stranger, ticket = people_and_ticket()
    host = samples.DESK_HOST
    for name, number in (("1.eml", "9" * 12), ("2.eml", "9" * 5000)):
        made_up = f"<ticket-{ticket.reference}.notif-{number}@{host}>"
        raw = samples.gmail(
            sender=requester.email,
            to="desk@univ.example",
            subject=subject_of(ticket),
            in_reply_to=made_up,
        )
        drop(inbound, name, raw)
    assert fetch_mail().counts == {"appended": 2}
    assert len(events(ticket, EventKind.COMMENT)) == 2


def test_a_bounce_naming_a_made_up_message_id_number_marks_nothing(db, inbound):
    _requester, _tech, _stranger, ticket = people_and_ticket()
    for name, number in (("1.eml", "9" * 12), ("2.eml", "9" * 5000)):
        made_up = f"<ticket-{ticket.reference}.notif-{number}@{samples.DESK_HOST}>"
        drop(inbound, name, samples.postfix_bounce(original_message_id=made_up, recipient="x@y.z"))
    assert fetch_mail().counts == {"ignored": 2}


def test_a_huge_header_is_refused_unread_and_made_up_ids_cost_few_queries(app, db, inbound):
    """The standard library reads a long header field in a time that grows with the square
    of its length: a Subject of a few megabytes held the poll for hours. A header over
    256 KB is refused before it is read; and a message naming thousands of made-up
    Message-IDs of desk's shape (each one a look-up) is read for its first hundred only."""
    from tests.support.sql import statements_sent

    requester, _tech, _stranger, ticket = people_and_ticket()
    huge = samples.gmail(sender=requester.email, to=signed(ticket), subject="subject")
    long_subject = b"Subject: Re: " + b"x " * 150_000  # 300 KB, folded by no client
    drop(inbound, "1.eml", huge.replace(b"Subject: Re: subject", long_subject))
    made_up = " ".join(
        f"<ticket-{ticket.reference}.notif-{n}@{samples.DESK_HOST}>"
        for n in range(10**6, 10**6 + 3000)
    )
    raw = samples.gmail(sender=requester.email, to="desk@univ.example", subject="ids")
    drop(inbound, "2.eml", b"References: " + made_up.encode() + b"\r\n" + raw)
    with statements_sent(db.engine) as sent:
        assert fetch_mail().counts == {"failed": 1, "held": 1}
    assert len(sent) < 200  # a look-up per made-up id: over 3,000
    failed, held = sorted(ledger(), key=lambda row: row.status.value)
    assert failed.status is InboundStatus.FAILED and failed.reason is HoldReason.MALFORMED
    assert failed.data == {"what": "headers"} and failed.sender == requester.email
    assert held.reason is HoldReason.NO_TICKET
    assert events(ticket, EventKind.COMMENT) == []
