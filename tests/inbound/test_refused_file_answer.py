"""A reply held because one of its files was refused (a type not accepted, too large, a
content that does not match its name) reached nobody: its sender is told which file and why,
in their language, at their account's address, once, through the outbox written with the
hold. A stranger's message is held without an answer, as before."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from desk.auth.models import Role
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.review import retry_message
from desk.inbound.services import fetch_mail
from desk.notifications.models import Channel, NotificationEvent
from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.helpers import events, ledger, people_and_ticket, signed
from tests.inbound.test_services import drop
from tests.notifications.helpers import deliver_all, rows
from tests.support.factories import make_user

EXE = ("setup.exe", "application", "octet-stream", b"MZ\x90\x00")


def _reply_with(inbound, sender, ticket, name: str, files=(EXE,)) -> None:
    raw = samples.with_files(
        sender=sender.email,
        to=signed(ticket),
        subject="x",
        words="Voici le programme qui plante.",
        files=list(files),
        inline_image=None,
    )
    drop(inbound, name, raw)


def _bodies(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_the_sender_is_told_which_file_was_refused_and_why(db, inbound, smtp):
    requester, _tech, _stranger, ticket = people_and_ticket()
    requester.locale = "en"
    db.session.commit()
    _reply_with(inbound, requester, ticket, "1.eml")
    assert fetch_mail().counts == {"held": 1}
    (row,) = ledger()
    assert row.status is InboundStatus.HELD and row.reason is HoldReason.ATTACHMENT
    assert events(ticket, EventKind.COMMENT) == []
    assert deliver_all() == ["sent"]
    (message,) = smtp.messages
    assert message["To"] == requester.email
    assert message["Subject"].startswith(f"[{ticket.reference}] ")
    assert "Your message was not added" in message["Subject"]
    assert message["Auto-Submitted"] == "auto-replied"  # RFC 3834: it answers their e-mail
    text, html = _bodies(message)
    for body in (text, html):
        assert "Your e-mail was not added: the file “setup.exe” was refused." in body
        assert "This type of file is not accepted." in body
        assert "Send your message again without this file" in body


def test_in_french_for_a_french_requester(db, inbound, smtp):
    requester, _tech, _stranger, ticket = people_and_ticket()
    _reply_with(inbound, requester, ticket, "1.eml")
    assert fetch_mail().counts == {"held": 1}
    assert deliver_all() == ["sent"]
    (message,) = smtp.messages
    text, _html = _bodies(message)
    with force_locale("fr"):
        refused = gettext(
            "Your e-mail was not added: the file “%(name)s” was refused. %(why)s",
            name="setup.exe",
            why="",
        ).strip()
        kinds = gettext("This type of file is not accepted. Accepted: %(types)s.", types="")
    assert refused in text
    assert kinds.split(":")[0] in text
    assert refused != "Your e-mail was not added: the file “setup.exe” was refused."


def test_told_once_however_often_it_is_retried_or_sent_again(db, inbound, smtp):
    requester, _tech, _stranger, ticket = people_and_ticket()
    _reply_with(inbound, requester, ticket, "1.eml")
    _reply_with(inbound, requester, ticket, "2.eml")  # sent again the same day, same file
    assert fetch_mail().counts == {"held": 2}
    first = ledger()[0]
    retry_message(first.id, actor=make_user(role=Role.ADMIN))  # refused again by the admin's retry
    db.session.commit()
    assert len(rows(Channel.EMAIL, event=NotificationEvent.FILE_REFUSED)) == 1


def test_a_stranger_s_message_gets_no_answer(db, inbound, smtp):
    _requester, _tech, stranger, ticket = people_and_ticket()
    _reply_with(inbound, stranger, ticket, "1.eml")
    assert fetch_mail().counts == {"held": 1}
    assert rows(Channel.EMAIL, event=NotificationEvent.FILE_REFUSED) == []


def test_accepted_files_are_answered_with_nothing(db, inbound, smtp):
    requester, _tech, _stranger, ticket = people_and_ticket()
    pdf = ("devis.pdf", "application", "pdf", samples.PDF)
    _reply_with(inbound, requester, ticket, "1.eml", files=[pdf])
    assert fetch_mail().counts == {"appended": 1}
    assert rows(Channel.EMAIL, event=NotificationEvent.FILE_REFUSED) == []
