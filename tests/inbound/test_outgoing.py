"""desk's own e-mails: a signed Reply-To and the "reply to this e-mail" line, in both languages,
only when a reply address is configured."""

from __future__ import annotations

from desk.auth.models import Role
from desk.extensions import db
from desk.reference.models import QueueMembership
from desk.tickets.actions import change_status
from desk.tickets.models import Status
from desk.watchers.services import add_watcher
from tests.inbound.helpers import signed
from tests.notifications.helpers import deliver_all, submit
from tests.support.factories import make_user


def test_english_recipient_is_told_to_reply_in_english(db, smtp, inbound):
    requester = make_user(locale="en")
    ticket = submit(requester)
    deliver_all()
    (message,) = smtp.messages
    assert message["Reply-To"] == signed(ticket)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Reply to this e-mail to add a message to the ticket" in body
        assert "please answer from the ticket page" not in body


def test_without_a_reply_address_no_reply_to_and_the_web_is_asked(db, smtp, app, monkeypatch):
    monkeypatch.setitem(app.config, "REPLY_ADDRESS", "")
    submit(make_user())
    deliver_all()
    (message,) = smtp.messages
    assert message["Reply-To"] is None
    assert (
        "merci de répondre depuis la page du ticket" in message.get_body(("plain",)).get_content()
    )


def _worked_ticket(requester):
    """A ticket of the requester's and a technician of its queue."""
    tech = make_user(role=Role.TECHNICIAN)
    ticket = submit(requester)
    tech.memberships.append(QueueMembership(queue=ticket.queue))
    db.session.commit()
    return ticket, tech


def _ask_the_requester(ticket, tech) -> None:
    """The technician waits on the requester: the "waiting" e-mails go out."""
    change_status(ticket, Status.IN_PROGRESS, actor=tech)
    change_status(ticket, Status.WAITING_ON_REQUESTER, actor=tech)
    deliver_all()


def test_the_waiting_email_asks_for_a_reply_by_e_mail_too(db, smtp, inbound):
    # It said "Please reply on the ticket page" above "Reply to this e-mail": the e-mail that
    # most asks for an answer sent its reader to the web, the one place a phone makes hard.
    requester = make_user(locale="en")
    _ask_the_requester(*_worked_ticket(requester))
    message = smtp.to(requester.email)[-1]
    for body in (message.get_body(("plain",)), message.get_body(("html",))):
        text = " ".join(body.get_content().split())
        assert "needs an answer from you: reply to this e-mail, or on the ticket page" in text
        assert "Please reply on the ticket page" not in text


def test_the_waiting_email_in_copy_asks_for_a_reply_by_e_mail_too(db, smtp, inbound, app):
    # Replies of people in copy are taken as the requester's (desk.inbound.appending): their
    # "waiting" e-mail sent them to the web only, above its own "Reply to this e-mail" line.
    requester = make_user(name="Claire")
    watcher = make_user(locale="en")
    ticket, tech = _worked_ticket(requester)
    add_watcher(ticket, watcher.email, actor=requester)
    db.session.commit()
    _ask_the_requester(ticket, tech)
    message = smtp.to(watcher.email)[-1]
    for body in (message.get_body(("plain",)), message.get_body(("html",))):
        text = " ".join(body.get_content().split())
        assert "If you know it, you may reply to this e-mail or write it on the request" in text
    app.config["REPLY_ADDRESS"] = ""  # restored by the inbound fixture's monkeypatch
    _ask_the_requester(ticket, tech)
    text = " ".join(smtp.to(watcher.email)[-1].get_body(("plain",)).get_content().split())
    assert "If you know it, you may write it on the request" in text
