"""What the mail system does to a message on its way, through the Maildir poll: two copies of
one answer, a From line that names two people, bounces without RFC 3464 and read receipts."""

from __future__ import annotations

import re

import pytest

from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.notifications.models import DeliveryStatus, Notification
from tests.inbound import clients
from tests.inbound.helpers import ledger
from tests.inbound.test_replies_to_desk_mail import desk_mail, timeline
from tests.inbound.test_services import drop


def test_an_answer_delivered_to_two_addresses_of_the_mailbox_is_added_once(db, smtp, inbound):
    # Sent to the ticket's reply address and, in copy, to the queue's: the server delivers
    # one copy per address, each with its own Delivered-To and Received lines.
    ticket, (ack, *_rest) = desk_mail(smtp)
    raw = clients.gmail(ack, "Je serai là demain.", to=f"{ack['Reply-To']}, aide@univ.example")
    drop(inbound, "1.eml", b"Delivered-To: " + str(ack["Reply-To"]).encode() + b"\r\n" + raw)
    drop(inbound, "2.eml", b"Received: from mx\r\nDelivered-To: aide@univ.example\r\n" + raw)
    assert fetch_mail().counts == {"appended": 1, "duplicate": 1}
    assert timeline(ticket).count("Je serai là demain.") == 1


@pytest.mark.parametrize(
    "from_line",
    [
        # The receiving server's DMARC check reads evil.example (whose owner signs it), Python
        # read marie: her words, in her ticket, by its reference in the subject.
        "marie.dupont@umontpellier.fr <eve@evil.example>",
        "=?utf-8?q?marie.dupont=40umontpellier.fr?=",
    ],
)
def test_a_from_line_naming_the_requester_beside_another_address_writes_nothing(
    db, smtp, inbound, from_line
):
    ticket, (ack, *_rest) = desk_mail(smtp)
    raw = clients.gmail(ack, "Annulez tout.", to="aide@univ.example")
    raw = re.sub(rb"(?m)^From: .*$", f"From: {from_line}\r".encode(), raw, count=1)
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    (row,) = ledger()
    assert row.reason is HoldReason.UNKNOWN_SENDER
    assert "Annulez" not in timeline(ticket)


def _plain_bounce(original, head: str, words: str) -> bytes:
    # The whole original quoted below the server's words, as Lotus, older Exchange and
    # qmail send them: no multipart/report, no Auto-Submitted, no empty Return-Path.
    quoted = original.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return (
        f"{head}To: desk@localhost\r\nMessage-ID: <ndr-{abs(hash(head))}@mx>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"{words}\r\n\r\n"
    ).encode() + quoted


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (
            "From: Postmaster@notes.umontpellier.fr\r\nSubject: DELIVERY FAILURE: User marie "
            "not listed\r\n",
            "User marie.dupont not listed in Domino Directory",
        ),
        (
            "From: Administrateur <postmaster@umontpellier.fr>\r\nSubject: Non remis : x\r\n",
            "Votre message n'a pas atteint tous les destinataires.\r\n  550 5.1.1 Unknown user",
        ),
        (
            "From: MAILER-DAEMON@mx.umontpellier.fr\r\nSubject: failure notice\r\n",
            "Hi. This is the qmail-send program.\r\nSorry, I couldn't deliver.",
        ),
    ],
)
def test_a_plain_text_bounce_marks_its_email_failed(db, smtp, inbound, head, words):
    _ticket, (ack, *_rest) = desk_mail(smtp)
    drop(inbound, "1.eml", _plain_bounce(ack, head, words))
    assert fetch_mail().counts == {"ignored": 1}
    (row,) = ledger()
    assert row.status is InboundStatus.IGNORED and row.reason is HoldReason.BOUNCE
    sent = db.session.get(Notification, row.data["notification"])
    assert sent.status is DeliveryStatus.FAILED and f".notif-{sent.id}." in str(ack["Message-ID"])
    assert row.data["recipient"] == "marie.dupont@umontpellier.fr"
    assert row.data["diagnostic"].split()[0] in words


def test_a_delay_warning_and_a_read_receipt_mark_nothing(db, smtp, inbound):
    _ticket, (ack, *_rest) = desk_mail(smtp)
    warning = _plain_bounce(
        ack,
        "From: postmaster@umontpellier.fr\r\nSubject: Warning: could not send message for "
        "past 4 hours\r\n",
        "THIS IS A WARNING MESSAGE ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE.",
    )
    receipt = (
        "From: Marie Dupont <marie.dupont@umontpellier.fr>\r\nTo: desk@localhost\r\n"
        f"Subject: Lu : {ack['Subject']}\r\nMessage-ID: <mdn-1@umontpellier.fr>\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="m"'
        "\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nVotre message a été lu.\r\n"
        "--m\r\nContent-Type: message/disposition-notification\r\n\r\n"
        f"Original-Message-ID: {ack['Message-ID']}\r\nDisposition: manual-action/"
        "MDN-sent-manually; displayed\r\n--m--\r\n"
    ).encode()
    drop(inbound, "1.eml", warning)
    drop(inbound, "2.eml", receipt)
    assert fetch_mail().counts == {"ignored": 2}
    assert [r.reason for r in ledger()] == [HoldReason.BOUNCE, HoldReason.AUTO_REPLY]
    db.session.expire_all()
    assert {n.status for n in db.session.query(Notification)} == {DeliveryStatus.SENT}
