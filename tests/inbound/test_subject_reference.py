"""A reply whose subject names the ticket without desk's brackets ("Réf : DEM-2026-000123",
"AW: demande …"): taken from those who may write on the ticket, as `[DEM-…]` is; from anyone
else it names nothing, whether the ticket exists or not; never inside a longer token."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

import pytest

from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.tickets.models import EventKind
from tests.inbound.helpers import events, ledger, people_and_ticket
from tests.inbound.test_services import drop
from tests.support.factories import make_ticket

DESK = "desk@univ.example"  # desk's address: no signed reply address, no thread headers


def _mail(sender: str, subject: str, words: str = "Toujours pas de wifi en B16.") -> bytes:
    """What someone types in a new message (or a client whose thread desk cannot read)."""
    message = EmailMessage(policy=SMTP)
    message["From"], message["To"], message["Subject"] = sender, DESK, subject
    message["Message-ID"] = make_msgid(domain="mail.example.org")
    message.set_content(words, charset="utf-8")
    return message.as_bytes()


@pytest.mark.parametrize(
    "subject",
    [
        "Réf : {ref}",
        "RE: {ref} problème wifi",
        "AW: demande {ref}",
        "TR: (suite {ref}), toujours en panne",
        "re: {low}",  # retyped in lower case: as unmistakable, as `[dem-…]` already is
    ],
)
def test_a_bare_reference_from_the_requester_is_a_comment(db, inbound, subject):
    requester, _tech, _stranger, ticket = people_and_ticket()
    ref = ticket.reference
    drop(inbound, "1.eml", _mail(requester.email, subject.format(ref=ref, low=ref.lower())))
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "Toujours pas de wifi en B16." and comment.actor_id == requester.id


def test_a_bare_reference_is_checked_as_the_bracketed_one_for_staff(db, inbound):
    # Anyone can type a reference: staff write as staff only with proof, as with `[DEM-…]`.
    _requester, tech, _stranger, ticket = people_and_ticket()
    drop(inbound, "1.eml", _mail(tech.email, f"RE: {ticket.reference}"))
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.UNPROVEN_STAFF
    assert events(ticket, EventKind.REPLY) == []


def test_a_strangers_bare_reference_says_nothing_of_the_ticket(db, inbound):
    _requester, _tech, stranger, ticket = people_and_ticket()
    absent = ticket.reference[:-1] + ("9" if ticket.reference[-1] != "9" else "8")
    drop(inbound, "1.eml", _mail(stranger.email, f"RE: {ticket.reference} problème wifi"))
    drop(inbound, "2.eml", _mail(stranger.email, f"RE: {absent} problème wifi"))
    drop(inbound, "3.eml", _mail(stranger.email, f"RE: [{ticket.reference}] problème wifi"))
    assert fetch_mail().counts == {"held": 3}
    # An existing ticket, one that does not exist, the bracketed form: held alike.
    outcomes = {(r.status, r.reason, r.ticket_id, str(r.data)) for r in ledger()}
    assert outcomes == {(InboundStatus.HELD, HoldReason.NO_TICKET, None, "{}")}
    assert events(ticket, EventKind.COMMENT) == []


@pytest.mark.parametrize(
    "subject",
    [
        "RE: X{ref} wifi",  # inside a longer token
        "RE: {ref}4",  # one digit more: another number
        "RE: 1{ref}",
        "RE: {ref}-2",
        "RE: {ref}_v2",
        "RE: réf{ref}",
        "RE: {short}",  # a two-digit year: not desk's format
        "RE: {ref_no_dash}",
        "RE: {ref} et {other}",  # two tickets of hers: which one is a person's call
    ],
)
def test_what_is_not_a_whole_reference_names_no_ticket(db, inbound, subject):
    requester, _tech, _stranger, ticket = people_and_ticket()
    other = make_ticket(requester=requester, queue=ticket.queue)
    ref = ticket.reference
    kind, year, number = ref.split("-")
    subject = subject.format(
        ref=ref,
        short=f"{kind}-{year[2:]}-{number}",
        ref_no_dash=f"{kind}{year}{number}",
        other=other.reference,
    )
    drop(inbound, "1.eml", _mail(requester.email, subject))
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.NO_TICKET
    assert events(ticket, EventKind.COMMENT) == [] and events(other, EventKind.COMMENT) == []


def test_the_bracketed_reference_wins_over_a_bare_one(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    other = make_ticket(requester=requester, queue=ticket.queue)
    subject = f"RE: [{other.reference}] suite de {ticket.reference}"
    drop(inbound, "1.eml", _mail(requester.email, subject))
    assert fetch_mail().counts == {"appended": 1}
    assert len(events(other, EventKind.COMMENT)) == 1
    assert events(ticket, EventKind.COMMENT) == []
