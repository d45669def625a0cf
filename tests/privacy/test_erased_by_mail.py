"""Nothing is written in an erased ticket by e-mail either: a technician's answer to its
signed address is held with the reason, and the ticket stays as it was."""

from __future__ import annotations

from desk.core.db import utcnow
from desk.extensions import db as sql
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.privacy.services import erase_ticket
from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.conftest import inbound  # noqa: F401 - the Maildir fixture
from tests.inbound.helpers import events, ledger, people_and_ticket, signed
from tests.inbound.test_services import drop


def test_a_mail_to_an_erased_ticket_is_held(db, inbound):  # noqa: F811 - fixtures
    _requester, tech, _stranger, ticket = people_and_ticket("resolved", resolved_at=utcnow())
    # Before the erasure, the same answer is taken: the hold below is the erasure's.
    raw = samples.gmail(
        sender=tech.email, to=signed(ticket, staff=True), subject=f"Re: [{ticket.reference}]"
    )
    drop(inbound, "0.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    assert erase_ticket(ticket.id)
    sql.session.commit()
    raw = samples.gmail(
        sender=tech.email,
        to=signed(ticket, staff=True),
        subject=f"Re: [{ticket.reference}]",
        words="Encore",
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    row = ledger()[-1]
    assert row.status is InboundStatus.HELD and row.reason is HoldReason.REFUSED
    assert events(ticket, EventKind.REPLY) == []
