"""Someone in copy of a ticket answers its e-mails as its requester does: their message is
added, the requester and the staff are told; they never reopen it, and once out of copy their
mail is held."""

from __future__ import annotations

import datetime as dt

from desk.core.db import utcnow
from desk.extensions import db
from desk.inbound.models import HoldReason
from desk.inbound.services import fetch_mail
from desk.notifications.models import Channel, NotificationEvent
from desk.tickets.models import EventKind, Status
from desk.watchers.models import TicketWatcher
from tests.inbound import samples
from tests.inbound.helpers import events, ledger, people_and_ticket, signed
from tests.inbound.test_services import drop, subject_of
from tests.notifications.helpers import rows


def _in_copy(ticket, user) -> None:
    db.session.add(TicketWatcher(ticket_id=ticket.id, user_id=user.id))
    db.session.commit()


def test_a_reply_from_someone_in_copy_is_their_message(db, inbound):
    requester, tech, colleague, ticket = people_and_ticket("waiting_on_requester")
    _in_copy(ticket, colleague)
    raw = samples.outlook_fr(sender=colleague.email, to=signed(ticket), subject=subject_of(ticket))
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.actor_id == colleague.id and comment.body == "Merci, cela fonctionne."
    db.session.refresh(ticket)
    assert ticket.status is Status.IN_PROGRESS  # the answer the desk waited for
    told = {r.recipient_id for r in rows(Channel.EMAIL, event=NotificationEvent.COMMENTED)}
    assert told == {requester.id, tech.id}


def test_the_subject_reference_is_trusted_from_someone_in_copy(db, inbound):
    _requester, _tech, colleague, ticket = people_and_ticket()
    _in_copy(ticket, colleague)
    raw = samples.windows_1252(
        sender=colleague.email, to="desk@univ.example", subject=subject_of(ticket)
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    assert events(ticket, EventKind.COMMENT)[0].actor_id == colleague.id


def test_someone_in_copy_does_not_reopen_a_resolved_ticket(db, inbound):
    _requester, _tech, colleague, ticket = people_and_ticket(
        "resolved", resolved_at=utcnow() - dt.timedelta(days=1)
    )
    _in_copy(ticket, colleague)
    raw = samples.gmail(sender=colleague.email, to=signed(ticket), subject="Re: x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.REFUSED
    db.session.refresh(ticket)
    assert ticket.status is Status.RESOLVED and events(ticket, EventKind.COMMENT) == []


def test_out_of_copy_their_mail_is_held(db, inbound):
    _requester, _tech, colleague, ticket = people_and_ticket()
    raw = samples.gmail(sender=colleague.email, to=signed(ticket), subject="Re: x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.NOT_PARTY
    assert events(ticket, EventKind.COMMENT) == []
