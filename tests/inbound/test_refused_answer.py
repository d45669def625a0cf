"""A reply that a finished request refuses is held, and its sender is told so: one e-mail in
their language, at their account's address, at most once a day per ticket, through the outbox
(written with the hold). Nobody else is answered: strangers, unknown addresses, robots."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import current_app
from flask_babel import force_locale, gettext

from desk.auth.models import Role
from desk.catalog.forms.fields import local_today
from desk.core.db import utcnow
from desk.extensions import db
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.review import listing, retry_message
from desk.inbound.services import fetch_mail
from desk.notifications.models import Channel, NotificationEvent
from desk.notifications.services import set_email_preferences
from desk.tickets.models import EventKind, Status
from desk.watchers.models import TicketWatcher
from tests.inbound import samples
from tests.inbound.helpers import events, ledger, people_and_ticket, signed
from tests.inbound.test_services import drop
from tests.notifications.helpers import deliver_all, rows
from tests.support.factories import make_user

E = NotificationEvent
BASE = "http://127.0.0.1:5000"
CLOSED_EN = (
    "This request is closed and takes no more messages, so the e-mail you sent was not "
    "added to it. You can still read the request on its page."
)
NEW_REQUEST_EN = "If you still need help, please file a new request"
FOOTER_EN = "This request is closed: a reply to this e-mail will not be added to it."
INVITATION_EN = "Reply to this e-mail to add a message to the ticket"


def _fr(msgid: str, **variables) -> str:
    """The French of a message (the catalogue's; its msgid until it is translated)."""
    with force_locale("fr"):
        return gettext(msgid, **variables)


def _bodies(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def _answers() -> list:
    return rows(Channel.EMAIL, event=E.REPLY_REFUSED)


def _held_refused(ticket) -> None:
    """Held (not ignored) with the refusal, on the admins' list of held messages."""
    held = db.session.scalars(listing("held")).all()
    assert [r.ticket_id for r in held] == [ticket.id] * len(held) and held
    assert all(r.status is InboundStatus.HELD and r.reason is HoldReason.REFUSED for r in held)


def test_the_requester_replying_to_a_closed_request_is_told_in_french(db, inbound, smtp):
    requester, _tech, _stranger, ticket = people_and_ticket("closed")
    # Words that ask for something: a thank-you alone is not answered (tests/inbound/test_thanks.py)
    words = "Le problème est revenu ce matin."
    raw = samples.outlook_fr(sender=requester.email, to=signed(ticket), subject="x", words=words)
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    _held_refused(ticket)
    assert events(ticket, EventKind.COMMENT) == []
    assert deliver_all() == ["sent"]
    (message,) = smtp.messages
    assert message["To"] == requester.email
    # Desk's anti-loop headers (RFC 3834: an answer to their e-mail): an out-of-office
    # answering this answer is ignored anyway.
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["Subject"].startswith(f"[{ticket.reference}] ")
    assert _fr("Your message was not added") in message["Subject"]
    text, html = _bodies(message)
    page = f"{BASE}/mes-demandes/{ticket.reference}"
    for body in (text, html):
        assert "Bonjour Marie Dupont," in body
        assert _fr(CLOSED_EN) in body
        assert _fr(FOOTER_EN) in body
        assert page in body
        assert "Répondez à cet e-mail" not in body  # the usual invitation to reply
    assert _fr(NEW_REQUEST_EN + ": %(url)s", url=f"{BASE}/catalogue") in text
    assert f'<a href="{BASE}/catalogue">Ouvrir le catalogue de services</a>' in html
    assert f'<a class="b" href="{page}">Ouvrir le ticket</a>' in html
    assert html.count(f"{BASE}/catalogue") == 1  # in the answer, not again in the footer
    # An e-mail answering theirs: not news for their bell.
    assert not rows(Channel.INAPP, event=E.REPLY_REFUSED)


def test_an_english_requester_replying_to_a_cancelled_request_is_told_in_english(db, inbound, smtp):
    requester, _tech, _stranger, ticket = people_and_ticket("cancelled")
    requester.locale = "en"
    db.session.commit()
    drop(inbound, "1.eml", samples.gmail(sender=requester.email, to=signed(ticket), subject="x"))
    assert fetch_mail().counts == {"held": 1}
    deliver_all()
    (message,) = smtp.messages
    assert message["Subject"] == f"[{ticket.reference}] Your message was not added: Sujet"
    text, html = _bodies(message)
    for body in (text, html):
        assert "Hello Marie Dupont," in body
        assert CLOSED_EN in body and FOOTER_EN in body
        assert INVITATION_EN not in body
    assert f"{NEW_REQUEST_EN}: {BASE}/catalogue" in text
    assert f'{NEW_REQUEST_EN}: <a href="{BASE}/catalogue">Open the service catalogue</a>' in html
    assert f"Open the ticket: {BASE}/mes-demandes/{ticket.reference}" in text


def test_a_resolved_request_past_its_reopen_window_answers_too(db, inbound, smtp):
    days = current_app.config["REOPEN_WINDOW_DAYS"]
    requester, _tech, _stranger, ticket = people_and_ticket(
        "resolved", resolved_at=utcnow() - dt.timedelta(days=days + 1)
    )
    drop(inbound, "1.eml", samples.gmail(sender=requester.email, to=signed(ticket), subject="x"))
    assert fetch_mail().counts == {"held": 1}
    db.session.refresh(ticket)
    assert ticket.status is Status.RESOLVED
    deliver_all()
    (message,) = smtp.messages
    text, _html = _bodies(message)
    assert _fr(CLOSED_EN) in text and _fr(FOOTER_EN) in text
    assert "Répondez à cet e-mail" not in text


def test_a_refusal_for_another_reason_is_not_answered(db, inbound, smtp):
    # Within the window a reply reopens the request, but a file without a word gives no
    # reason to reopen it: refused, and the request is not closed, so no "closed" answer.
    requester, _tech, _stranger, ticket = people_and_ticket(
        "resolved", resolved_at=utcnow() - dt.timedelta(days=1)
    )
    raw = samples.with_files(sender=requester.email, to=signed(ticket), subject="x", words="")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.REFUSED
    assert _answers() == [] and deliver_all() == [] and smtp.messages == []


def test_five_replies_in_a_day_get_one_answer_and_the_next_day_one_more(
    db, inbound, smtp, monkeypatch
):
    requester, _tech, _stranger, ticket = people_and_ticket("closed")
    for n in range(5):
        words = f"Toujours en panne ({n})."
        raw = samples.gmail(sender=requester.email, to=signed(ticket), subject="x", words=words)
        drop(inbound, f"{n}.eml", raw)
    assert fetch_mail().counts == {"held": 5}
    _held_refused(ticket)
    assert len(ledger()) == 5  # every message stays on the admins' list
    deliver_all()
    assert len(smtp.messages) == 1
    # The sender answers the answer (its Reply-To is the ticket's): held, not answered again.
    again = samples.thunderbird(sender=requester.email, to=signed(ticket), subject="Re: x")
    drop(inbound, "again.eml", again)
    assert fetch_mail().counts == {"held": 1}
    assert deliver_all() == [] and len(smtp.messages) == 1
    # An admin's retry that is refused again the same day: still the one answer.
    admin = make_user(role=Role.ADMIN)
    assert retry_message(ledger()[0].id, actor=admin) == "held"
    assert len(_answers()) == 1
    tomorrow = local_today() + dt.timedelta(days=1)
    monkeypatch.setattr("desk.inbound.answers.local_today", lambda: tomorrow)
    drop(
        inbound,
        "tomorrow.eml",
        samples.gmail(sender=requester.email, to=signed(ticket), subject="x"),
    )
    assert fetch_mail().counts == {"held": 1}
    deliver_all()
    assert len(smtp.messages) == 2 and all(m["To"] == requester.email for m in smtp.messages)


def test_the_same_message_read_twice_is_answered_once(db, inbound, smtp):
    requester, _tech, _stranger, ticket = people_and_ticket("closed")
    raw = samples.gmail(sender=requester.email, to=signed(ticket), subject="x")
    drop(inbound, "a.eml", raw)
    drop(inbound, "b.eml", raw)  # a re-delivery
    assert fetch_mail().counts == {"held": 1, "duplicate": 1}
    deliver_all()
    assert len(smtp.messages) == 1


def test_the_answer_cannot_be_switched_off(db, inbound, smtp):
    requester, _tech, _stranger, ticket = people_and_ticket("closed")
    set_email_preferences(requester, set(), actor=requester)  # every e-mail off
    drop(inbound, "1.eml", samples.gmail(sender=requester.email, to=signed(ticket), subject="x"))
    fetch_mail()
    deliver_all()
    assert [m["To"] for m in smtp.messages] == [requester.email]


def test_someone_in_copy_is_told_with_the_page_they_read(db, inbound, smtp):
    _requester, _tech, colleague, ticket = people_and_ticket(
        "resolved", resolved_at=utcnow() - dt.timedelta(days=1)
    )
    db.session.add(TicketWatcher(ticket_id=ticket.id, user_id=colleague.id))
    db.session.commit()
    drop(inbound, "1.eml", samples.gmail(sender=colleague.email, to=signed(ticket), subject="x"))
    assert fetch_mail().counts == {"held": 1}
    deliver_all()
    (message,) = smtp.messages
    assert message["To"] == colleague.email
    text, _html = _bodies(message)
    assert _fr(CLOSED_EN) in text
    assert f"{BASE}/mes-demandes/{ticket.reference}" in text


def test_staff_replying_to_a_closed_ticket_get_a_short_answer(db, inbound, smtp):
    _requester, tech, _stranger, ticket = people_and_ticket("closed")
    tech.locale = "en"
    db.session.commit()
    raw = samples.gmail(sender=tech.email, to=signed(ticket, staff=True), subject="x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    assert events(ticket, EventKind.REPLY) == []
    deliver_all()
    (message,) = smtp.messages
    assert message["To"] == tech.email
    text, html = _bodies(message)
    for body in (text, html):
        assert "its requester can no longer be answered on it" in body
        assert f"{BASE}/tickets/{ticket.reference}" in body
        assert FOOTER_EN in body and "goes to the requester" not in body
        assert NEW_REQUEST_EN not in body


@pytest.mark.parametrize("who", ["stranger", "unknown", "deactivated"])
def test_nobody_but_the_request_s_people_is_answered(db, inbound, smtp, who):
    requester, _tech, stranger, ticket = people_and_ticket("closed")
    if who == "deactivated":
        requester.is_active_account = False
        db.session.commit()
    sender = {
        "stranger": stranger.email,
        "unknown": "nobody@gmail.example",
        "deactivated": requester.email,
    }[who]
    drop(inbound, "1.eml", samples.gmail(sender=sender, to=signed(ticket), subject="x"))
    assert fetch_mail().counts == {"held": 1}
    reason = HoldReason.NOT_PARTY if who == "stranger" else HoldReason.UNKNOWN_SENDER
    assert ledger()[0].reason is reason
    assert _answers() == [] and deliver_all() == [] and smtp.messages == []


def test_an_out_of_office_to_a_closed_request_is_not_answered(db, inbound, smtp):
    requester, _tech, _stranger, ticket = people_and_ticket("closed")
    raw = samples.exchange_out_of_office(sender=requester.email, to=signed(ticket), subject="x")
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"ignored": 1}
    assert _answers() == [] and deliver_all() == [] and smtp.messages == []


def _tomorrow(monkeypatch, days: int = 1) -> None:
    later = local_today() + dt.timedelta(days=days)
    monkeypatch.setattr("desk.inbound.answers.local_today", lambda: later)


def test_an_admin_s_retry_on_a_later_day_does_not_answer_the_same_message_again(
    db, inbound, smtp, monkeypatch
):
    requester, _tech, _stranger, ticket = people_and_ticket("closed")
    drop(inbound, "1.eml", samples.gmail(sender=requester.email, to=signed(ticket), subject="x"))
    assert fetch_mail().counts == {"held": 1}
    assert deliver_all() == ["sent"]
    admin = make_user(role=Role.ADMIN)
    (row,) = ledger()
    # An admin tries it again the next day, and the day after: still refused, and its
    # sender, told once already about this very message, is not told again.
    for days in (1, 2):
        _tomorrow(monkeypatch, days)
        assert retry_message(row.id, actor=admin) == "held"
        assert deliver_all() == [] and len(smtp.messages) == 1
    (row,) = ledger()
    assert row.reason is HoldReason.REFUSED and row.retried_at is not None
    # A new message from them that day is a new refusal: answered, once that day.
    drop(inbound, "2.eml", samples.gmail(sender=requester.email, to=signed(ticket), subject="y"))
    assert fetch_mail().counts == {"held": 1}
    assert deliver_all() == ["sent"] and len(smtp.messages) == 2


def test_a_retry_that_first_meets_the_refusal_answers_once(db, inbound, smtp, monkeypatch):
    # Held first as from an unknown sender (nothing said to a stranger); the admin makes
    # the account, retries, the request is closed: that is the first answer, and the last.
    requester, _tech, _stranger, ticket = people_and_ticket("closed")
    address = "m.dupont@umontpellier.fr"
    drop(inbound, "1.eml", samples.gmail(sender=address, to=signed(ticket), subject="x"))
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.UNKNOWN_SENDER and deliver_all() == []
    requester.email = address
    db.session.commit()
    admin = make_user(role=Role.ADMIN)
    row_id = ledger()[0].id
    assert retry_message(row_id, actor=admin) == "held"
    assert deliver_all() == ["sent"] and [m["To"] for m in smtp.messages] == [address]
    _tomorrow(monkeypatch)
    assert retry_message(row_id, actor=admin) == "held"
    assert deliver_all() == [] and len(smtp.messages) == 1


def test_a_retry_once_the_request_is_reopened_is_added(db, inbound, smtp, monkeypatch):
    requester, _tech, _stranger, ticket = people_and_ticket("closed")
    words = "Toujours en panne."
    raw = samples.gmail(sender=requester.email, to=signed(ticket), subject="x", words=words)
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    deliver_all()
    ticket.status = Status.IN_PROGRESS  # staff reopened it by hand
    db.session.commit()
    _tomorrow(monkeypatch)
    assert retry_message(ledger()[0].id, actor=make_user(role=Role.ADMIN)) == "appended"
    (comment,) = events(ticket, EventKind.COMMENT)
    assert words in comment.body
    assert len(_answers()) == 1


def test_the_admins_list_says_the_sender_was_told(db, inbound, smtp, login):
    requester, _tech, stranger, ticket = people_and_ticket("closed")
    drop(inbound, "1.eml", samples.gmail(sender=requester.email, to=signed(ticket), subject="x"))
    drop(inbound, "2.eml", samples.gmail(sender=stranger.email, to=signed(ticket), subject="y"))
    assert fetch_mail().counts == {"held": 2}
    page = login(make_user(role=Role.ADMIN, locale="en")).get("/admin/inbound")
    told = "Its sender was told by e-mail that it was not added."
    assert page.get_data(as_text=True).count(told) == 1
