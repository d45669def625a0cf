"""A year's millionth request: desk numbers it `DEM-2026-1000000` (six digits at least, no
leading zero past six), and every way an answer finds its ticket must read that reference
back: the signed reply address, desk's own Message-IDs, `[DEM-…]` and the bare reference in a
subject, the bounce of its e-mail. What desk never writes (a leading zero past six digits,
more digits than its counter holds) still names nothing. Over the real Dovecot and SMTP sink."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from desk.catalog.models import TicketKind
from desk.core.db import utcnow
from desk.extensions import db
from desk.inbound.address import read_reply_address, reply_address
from desk.inbound.models import HoldReason
from desk.inbound.requests import ticket_subject
from desk.inbound.services import fetch_mail
from desk.notifications.mailer import message_id
from desk.notifications.models import DeliveryStatus, Notification
from desk.tickets import references
from desk.tickets.models import EventKind, Ticket, TicketCounter
from desk.tickets.services import PREFIXES, format_reference, reference_year
from tests.inbound import samples
from tests.inbound.conftest import REPLY_BASE
from tests.inbound.helpers import events, ledger
from tests.inbound.test_requests import ADDRESS, _queue_with_address
from tests.notifications.helpers import deliver_all
from tests.support.factories import make_user

NUMBERS = (1, 999_999, 1_000_000, 1_234_567, 2**31 - 1)  # the counter is a 32-bit integer


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("kind", list(TicketKind))
def test_every_reference_desk_writes_is_one_the_mail_reads(kind, number):
    reference = format_reference(kind, 2026, number)
    assert re.fullmatch(references.REFERENCE, reference)
    assert ticket_subject(f"RE: [{reference}] Imprimante") == "Imprimante"
    found = read_reply_address(reply_address(REPLY_BASE, reference, "s"), REPLY_BASE, "s")
    assert found is not None and found.valid and found.reference == reference


def test_the_prefixes_are_those_desk_numbers_with():
    assert sorted(PREFIXES.values()) == sorted(references.PREFIXES)


def _millionth(smtp, mailbox):
    """A request by e-mail numbered past 999,999 (the real numbering, through the poller),
    and its acknowledgement."""
    _queue_with_address()
    requester = make_user(email="marie.dupont@umontpellier.fr", name="Marie Dupont")
    year = reference_year(utcnow())
    db.session.merge(TicketCounter(kind=TicketKind.REQUEST, year=year, value=1_234_566))
    db.session.commit()
    mailbox.append("INBOX", samples.gmail(sender=requester.email, to=ADDRESS, subject="Wi-Fi"))
    assert fetch_mail().counts == {"created": 1}
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.reference == f"DEM-{year}-1234567"
    assert deliver_all() == ["sent"]
    (ack,) = smtp.to(requester.email)
    return requester, ticket, ack


def test_each_way_of_answering_finds_a_ticket_numbered_past_999999(db, smtp, mailbox):
    requester, ticket, ack = _millionth(smtp, mailbox)
    ref = ticket.reference
    for to, subject, in_reply_to, words in (
        (ack["Reply-To"], "x", None, "Par l’adresse de réponse."),
        (REPLY_BASE, "x", ack["Message-ID"], "Par les en-têtes du fil."),
        (REPLY_BASE, f"RE: [{ref}] Imprimante", None, "Par la référence entre crochets."),
        (REPLY_BASE, f"Réf : {ref.lower()}", None, "Par la référence retapée."),
    ):
        mail = samples.gmail(
            sender=requester.email, to=to, subject=subject, in_reply_to=in_reply_to, words=words
        )
        mailbox.append("INBOX", mail)
    assert fetch_mail().counts == {"appended": 4}
    assert [e.body for e in events(ticket, EventKind.COMMENT)] == [
        "Par l’adresse de réponse.",
        "Par les en-têtes du fil.",
        "Par la référence entre crochets.",
        "Par la référence retapée.",
    ]


def test_the_bounce_of_its_email_marks_that_email_failed(db, smtp, mailbox):
    requester, ticket, ack = _millionth(smtp, mailbox)
    (sent,) = db.session.query(Notification).filter_by(channel="email").all()
    assert ack["Message-ID"] == message_id(ticket.reference, sent.id)
    mailbox.append(
        "INBOX",
        samples.postfix_bounce(original_message_id=ack["Message-ID"], recipient=requester.email),
    )
    assert fetch_mail().counts == {"ignored": 1}
    db.session.refresh(sent)
    assert sent.status is DeliveryStatus.FAILED and "5.1.1" in sent.last_error


@pytest.mark.parametrize(
    "subject",
    [
        "RE: [{kind}-{year}-0{number}]",  # a leading zero desk never writes
        "RE: {kind}-{year}-0{number}",
        "RE: [{kind}-{year}-{number}0000]",  # eleven digits: past what the counter holds
        "RE: {kind}-{year}-{number}0000",
        "RE: {kind}-{year}-{number}-2",
    ],
)
def test_what_desk_never_writes_names_no_ticket(db, smtp, mailbox, subject):
    requester, ticket, _ack = _millionth(smtp, mailbox)
    kind, year, number = ticket.reference.split("-")
    subject = subject.format(kind=kind, year=year, number=number)
    mailbox.append("INBOX", samples.gmail(sender=requester.email, to=REPLY_BASE, subject=subject))
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[-1].reason is HoldReason.NO_TICKET
    assert events(ticket, EventKind.COMMENT) == []
