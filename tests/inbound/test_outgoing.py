"""desk's own e-mails: a signed Reply-To and the "reply to this e-mail" line, in both languages,
only when a reply address is configured."""

from __future__ import annotations

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
