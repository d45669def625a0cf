"""The e-mails of a finished request do not invite a reply that would be refused (desk.inbound
holds it): their footer says the request is closed and where to file a new one. The resolution
e-mail keeps its invitation (a reply reopens the request within the window). A cancellation
without a comment does not send its reader looking for one."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext

from desk.auth.models import Role
from desk.extensions import db
from desk.tickets.actions import change_status, close_as_duplicate
from desk.tickets.models import Status
from desk.watchers.models import TicketWatcher
from tests.notifications.helpers import assign, deliver_all, submit
from tests.support.factories import make_queue, make_user

BASE = "http://127.0.0.1:5000"
CLOSED = "This request is closed: a reply to this e-mail will not be added to it."
NEW_REQUEST = "If you still need help, please file a new request"
INVITATION = (
    "Reply to this e-mail to add a message to the ticket (keep the reference in the subject)."
)
FROM_THE_PAGE = (
    "This message is sent automatically: please answer from the ticket page, not by e-mail."
)
CANCELLED = "The service centre has cancelled your request."
# What the cancellation without a comment said before: it sent its reader looking for one.
A_COMMENT = (
    "The service centre has cancelled your request. Open it to read the comment that may "
    "explain why."
)


def _in(locale: str, msgid: str, **variables) -> str:
    with force_locale(locale):
        return gettext(msgid, **variables)


@pytest.fixture
def people(app, monkeypatch):
    """(requester, technician, ticket in progress, with the technician)."""
    monkeypatch.setitem(app.config, "REPLY_ADDRESS", "desk@univ.example")

    def make(locale: str):
        queue = make_queue()
        requester = make_user(locale=locale, name="Claire Martin")
        tech = make_user(role=Role.TECHNICIAN, queues=(queue,), name="Karim Benali")
        ticket = submit(requester, queue=queue)
        assign(ticket, tech, actor=tech)
        db.session.commit()
        return requester, tech, ticket

    return make


def _mail_to(smtp, user):
    """The one e-mail `user` got after the acknowledgement, as (text, html)."""
    smtp.messages.clear()
    deliver_all()
    (message,) = smtp.to(user.email)
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def _closed_footer(locale: str, text: str, html: str) -> None:
    for body in (text, html):
        assert _in(locale, CLOSED) in body
        assert _in(locale, INVITATION) not in body
        assert _in(locale, FROM_THE_PAGE) not in body
    assert _in(locale, NEW_REQUEST + ": %(url)s", url=f"{BASE}/catalogue") in text
    assert f'{_in(locale, NEW_REQUEST + ":")} <a href="{BASE}/catalogue">' in html


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_a_cancellation_without_a_comment_mentions_none_and_invites_no_reply(
    db, smtp, people, locale
):
    requester, tech, ticket = people(locale)
    deliver_all()
    change_status(ticket, Status.CANCELLED, actor=tech)
    text, html = _mail_to(smtp, requester)
    for body in (text, html):
        assert _in(locale, CANCELLED) in body
        assert _in(locale, A_COMMENT) not in body
    assert ("comment" if locale == "en" else "commentaire") not in text + html
    _closed_footer(locale, text, html)


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_a_cancellation_with_a_comment_shows_it(db, smtp, people, locale):
    requester, tech, ticket = people(locale)
    deliver_all()
    change_status(ticket, Status.CANCELLED, actor=tech, note="Demande faite en double.")
    text, html = _mail_to(smtp, requester)
    for body in (text, html):
        assert _in(locale, CANCELLED) in body and "Demande faite en double." in body
    _closed_footer(locale, text, html)


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_closing_and_closing_as_a_duplicate_invite_no_reply(db, smtp, people, locale):
    requester, tech, ticket = people(locale)
    deliver_all()
    change_status(ticket, Status.RESOLVED, actor=tech)
    # The resolution keeps its invitation: a reply reopens the request within the window.
    text, html = _mail_to(smtp, requester)
    for body in (text, html):
        assert _in(locale, INVITATION) in body and _in(locale, CLOSED) not in body
    change_status(ticket, Status.CLOSED, actor=tech)
    _closed_footer(locale, *_mail_to(smtp, requester))

    original = submit(requester, queue=ticket.queue)
    repeat = submit(requester, queue=ticket.queue)
    deliver_all()
    close_as_duplicate(repeat, original.reference, actor=tech)
    text, html = _mail_to(smtp, requester)
    assert original.reference in text
    _closed_footer(locale, text, html)


def test_someone_in_copy_is_not_invited_to_reply_to_a_resolved_request(db, smtp, people):
    # Unlike the requester, they cannot reopen it: their reply would be refused.
    _requester, tech, ticket = people("en")
    follower = make_user(locale="en")
    db.session.add(TicketWatcher(ticket_id=ticket.id, user_id=follower.id))
    db.session.commit()
    deliver_all()
    change_status(ticket, Status.RESOLVED, actor=tech)
    _closed_footer("en", *_mail_to(smtp, follower))


def test_without_a_reply_address_a_closed_request_does_not_send_to_its_page(
    db, smtp, people, app, monkeypatch
):
    requester, tech, ticket = people("en")
    monkeypatch.setitem(app.config, "REPLY_ADDRESS", "")
    deliver_all()
    change_status(ticket, Status.CANCELLED, actor=tech)
    _closed_footer("en", *_mail_to(smtp, requester))
