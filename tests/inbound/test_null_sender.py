"""`Return-Path: <>`, the null sender as the delivering server records it: RFC 5321 (4.5.5)
keeps it for delivery reports and other notifications, RFC 3834 (3.3) for automatic
responses. Never a person's message, so never answered nor added; but a bounce only when it
also reads as one: an out-of-office sent so, naming desk's e-mail in its In-Reply-To, marked
that e-mail failed. Appended to the real Dovecot, polled over IMAPS."""

from __future__ import annotations

from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.notifications.models import Channel, DeliveryStatus, Notification
from desk.tickets.models import EventKind, Ticket
from tests.inbound import samples
from tests.inbound.helpers import events, ledger, people_and_ticket
from tests.inbound.test_requests import ADDRESS, _queue_with_address
from tests.notifications.helpers import deliver_all, rows, submit

NULL = b"Return-Path: <>\r\n"


def _acknowledged(smtp):
    requester, _tech, _stranger, _ticket = people_and_ticket()
    ticket = submit(requester, subject="Imprimante du 2e étage")
    assert deliver_all() == ["sent"]
    (ack,) = smtp.to(requester.email)
    return requester, ticket, ack


def test_an_out_of_office_sent_with_the_null_sender_marks_nothing_failed(db, smtp, mailbox):
    requester, ticket, ack = _acknowledged(smtp)
    away = samples.exchange_out_of_office(
        sender=requester.email,
        to=ack["Reply-To"],
        subject=ack["Subject"],
        in_reply_to=ack["Message-ID"],
    )
    mailbox.append("INBOX", NULL + away)
    assert fetch_mail().counts == {"ignored": 1}
    db.session.expire_all()
    assert {n.status for n in db.session.query(Notification)} == {DeliveryStatus.SENT}
    (row,) = ledger()
    assert row.status is InboundStatus.IGNORED and row.reason is HoldReason.AUTO_REPLY
    assert events(ticket, EventKind.COMMENT) == []


def test_a_notification_with_the_null_sender_is_neither_added_nor_answered(db, smtp, mailbox):
    """No robot header at all, only the null sender (a scanner's or a script's report sent
    by a server that knows it must not be answered): no comment, no ticket, no e-mail."""
    requester, ticket, ack = _acknowledged(smtp)
    _queue_with_address()
    tickets = db.session.query(Ticket).count()
    reply = samples.gmail(sender=requester.email, to=ack["Reply-To"], subject=ack["Subject"])
    request = samples.gmail(sender=requester.email, to=ADDRESS, subject="Rapport du scanner")
    mailbox.append("INBOX", NULL + reply)
    mailbox.append("INBOX", NULL + request)
    assert fetch_mail().counts == {"ignored": 2}
    assert [r.reason for r in ledger()] == [HoldReason.AUTO_REPLY] * 2
    assert events(ticket, EventKind.COMMENT) == []
    assert db.session.query(Ticket).count() == tickets
    assert deliver_all() == [] and len(rows(Channel.EMAIL)) == 1  # the acknowledgement only


def test_a_report_with_the_null_sender_is_still_a_bounce(db, smtp, mailbox):
    """Exchange's plain-text non-delivery report, from an address that names no daemon: its
    subject says what it is."""
    requester, _ticket, ack = _acknowledged(smtp)
    quoted = ack.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    report = (
        NULL
        + b"From: Microsoft Outlook <MicrosoftExchange329e71ec88ae@umontpellier.fr>\r\n"
        + b"To: desk@univ.example\r\nSubject: Undeliverable: Imprimante du 2e etage\r\n"
        + b"Message-ID: <ndr-null-1@umontpellier.fr>\r\nMIME-Version: 1.0\r\n"
        + b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        + b"Delivery has failed to these recipients or groups:\r\n"
        + requester.email.encode()
        + b"\r\n550 5.1.1 RESOLVER.ADR.RecipNotFound; not found\r\n\r\n"
        + quoted
    )
    mailbox.append("INBOX", report)
    assert fetch_mail().counts == {"ignored": 1}
    (row,) = ledger()
    assert row.reason is HoldReason.BOUNCE
    sent = db.session.get(Notification, row.data["notification"])
    assert sent.status is DeliveryStatus.FAILED and "5.1.1" in sent.last_error
