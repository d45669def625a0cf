"""A thank-you by e-mail to a resolved request is kept in its history and passed on to its
technician; the request stays resolved. Any other words reopen it as before."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import current_app

from desk.core.db import utcnow
from desk.extensions import db
from desk.inbound.models import HoldReason
from desk.inbound.services import fetch_mail
from desk.inbound.thanks import thanks_only
from desk.notifications.models import Channel, NotificationEvent
from desk.tickets.models import EventKind, Status
from desk.watchers.models import TicketWatcher
from tests.inbound import samples
from tests.inbound.helpers import events, ledger, people_and_ticket, signed
from tests.inbound.test_services import drop
from tests.notifications.helpers import rows

E = NotificationEvent


@pytest.mark.parametrize(
    "words",
    [
        "Merci !",
        "merci",
        "Merci beaucoup 🙂",
        "Merci beaucoup pour votre aide, bonne journée !",
        "Super, merci ! Ça marche.",
        "C’est réparé, merci !",
        "Merci, cela fonctionne.",
        "Parfait, merci bien.\nMarie",
        "Je vous remercie.\n\nMarie Dupont",
        "MERCI !!!",
        "Thanks!",
        "Thank you very much, it works now.",
    ],
)
def test_a_thank_you_is_recognised(words):
    assert thanks_only(words, "Marie Dupont")


@pytest.mark.parametrize(
    "words",
    [
        "",
        "Bonne journée",  # no word of thanks
        "Merci, mais ça ne marche toujours pas.",
        "Merci de me rappeler au 04 67 14 30 00.",
        "Merci. Par contre l’imprimante est encore en panne.",
        "Merci, pouvez-vous rouvrir la demande ?",
        "Thanks, but it still fails.",
        "Merci Paul",  # someone else's name: addressed to a person, read it
        "merci " * 30,
    ],
)
def test_anything_else_is_a_message(words):
    assert not thanks_only(words, "Marie Dupont")


def _resolved(days_ago: float = 1):
    requester, tech, stranger, ticket = people_and_ticket(
        "resolved", resolved_at=utcnow() - dt.timedelta(days=days_ago)
    )
    ticket.assignee = tech
    db.session.commit()
    return requester, tech, stranger, ticket


def test_a_thank_you_does_not_reopen_and_reaches_the_technician(db, inbound):
    requester, tech, _stranger, ticket = _resolved()
    resolved_at = ticket.resolved_at
    raw = samples.apple_mail(sender=requester.email, to=signed(ticket), subject="x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    db.session.refresh(ticket)
    assert ticket.status is Status.RESOLVED and ticket.resolved_at == resolved_at
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body.startswith("C’est réparé, merci !") and comment.actor_id == requester.id
    assert not [e for e in events(ticket) if e.field == "status"]
    (told,) = rows(Channel.EMAIL, event=E.COMMENTED)
    assert told.recipient_id == tech.id


def test_after_the_reopen_window_a_thank_you_is_kept_and_not_answered(db, inbound):
    days = current_app.config["REOPEN_WINDOW_DAYS"]
    requester, _tech, _stranger, ticket = _resolved(days + 1)
    raw = samples.gmail(sender=requester.email, to=signed(ticket), subject="x", words="Merci !")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    db.session.refresh(ticket)
    assert ticket.status is Status.RESOLVED
    assert [e.body for e in events(ticket, EventKind.COMMENT)] == ["Merci !"]
    assert rows(Channel.EMAIL, event=E.REPLY_REFUSED) == []


def test_a_thank_you_to_a_closed_request_is_held_and_not_answered(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket("closed")
    raw = samples.gmail(sender=requester.email, to=signed(ticket), subject="x", words="Merci")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.REFUSED
    assert events(ticket, EventKind.COMMENT) == []
    assert rows(Channel.EMAIL, event=E.REPLY_REFUSED) == []


def test_other_words_reopen_as_before(db, inbound):
    requester, _tech, _stranger, ticket = _resolved()
    words = "Merci, mais ça ne marche toujours pas."
    raw = samples.gmail(sender=requester.email, to=signed(ticket), subject="x", words=words)
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    db.session.refresh(ticket)
    assert ticket.status is Status.REOPENED


def test_a_thank_you_with_a_file_reopens_as_before(db, inbound):
    # A screenshot sent with "merci" may show what is still wrong: read it.
    requester, _tech, _stranger, ticket = _resolved()
    raw = samples.with_files(
        sender=requester.email, to=signed(ticket), subject="x", words="Merci !"
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    db.session.refresh(ticket)
    assert ticket.status is Status.REOPENED


def test_someone_in_copy_may_thank_too(db, inbound):
    _requester, _tech, colleague, ticket = _resolved()
    db.session.add(TicketWatcher(ticket_id=ticket.id, user_id=colleague.id))
    db.session.commit()
    raw = samples.gmail(sender=colleague.email, to=signed(ticket), subject="x", words="Merci !")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    db.session.refresh(ticket)
    assert ticket.status is Status.RESOLVED
    assert [e.actor_id for e in events(ticket, EventKind.COMMENT)] == [colleague.id]
