"""A new request by e-mail held because one of its files was refused (a type not accepted, too
large, a content that does not match its name) opened nothing and reached nobody: its sender,
an active account, is told which file and why, in their language (French when they chose
none), once per message, counted with the acknowledgements; never a stranger, never a robot.
Appended to the real Dovecot, polled over IMAPS, answered through the real SMTP sink."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext

from desk.auth.models import Role
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.requests import ticket_subject
from desk.inbound.review import retry_message
from desk.inbound.services import fetch_mail
from desk.notifications.content import email_language, refused_request_subject
from desk.notifications.models import Channel, NotificationEvent
from desk.tickets.models import Ticket
from tests.inbound import samples
from tests.inbound.helpers import ledger
from tests.inbound.test_requests import ADDRESS, _queue_with_address
from tests.notifications.helpers import deliver_all, rows
from tests.support.factories import make_user

EXE = ("setup.exe", "application", "octet-stream", b"MZ\x90\x00")


def _request(sender: str, *, subject: str = "Imprimante", extra: str = "") -> bytes:
    raw = samples.with_files(
        sender=sender,
        to=ADDRESS,
        subject=subject,
        words="L’imprimante affiche une erreur, voici l’outil du fabricant.",
        files=[EXE],
        inline_image=None,
    )
    return extra.encode() + raw


def _answers():
    return rows(Channel.EMAIL, event=NotificationEvent.FILE_REFUSED)


def _bodies(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_the_sender_is_told_which_file_was_refused_and_why(db, smtp, mailbox):
    _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr", name="Claire Martin", locale="en")
    mailbox.append("INBOX", _request(user.email))
    assert fetch_mail().counts == {"held": 1}
    (row,) = ledger()
    assert row.status is InboundStatus.HELD and row.reason is HoldReason.ATTACHMENT
    assert row.data["answered"] is True  # the held list says its sender was told
    assert db.session.query(Ticket).count() == 0
    assert deliver_all() == ["sent"]
    (message,) = smtp.messages
    assert message["To"] == user.email
    assert message["Subject"] == "Your request was not opened: Imprimante"
    # RFC 3834: an answer to their e-mail, which robots do not answer.
    assert message["Auto-Submitted"] == "auto-replied"
    text, html = _bodies(message)
    for body in (text, html):
        assert "Hello Claire Martin," in body
        assert (
            "Your e-mail “Imprimante” did not open a request: the file “setup.exe” was refused."
            in body
        )
        assert "This type of file is not accepted." in body
        assert "Send your message again without this file" in body
        assert "/catalogue" in body


def test_a_reply_goes_to_the_queue_written_to_and_opens_the_request(db, smtp, mailbox):
    """As every answer of desk's, it has a Reply-To: the address the request was sent to (it
    is about no ticket, so no signed reply address). Sent again from there without the file,
    the message opens the request."""
    queue, _entry = _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr")
    mailbox.append("INBOX", _request(user.email))
    assert fetch_mail().counts == {"held": 1}
    assert deliver_all() == ["sent"]
    (message,) = smtp.messages
    assert message["Reply-To"] == ADDRESS
    reply = samples.gmail(
        sender=user.email,
        to=message["Reply-To"],
        subject=message["Subject"],
        in_reply_to=message["Message-ID"],
        words="Sans le fichier : l’imprimante affiche une erreur.",
    )
    mailbox.append("INBOX", reply)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = db.session.query(Ticket).all()
    assert ticket.queue_id == queue.id and ticket.requester_id == user.id


def test_in_french_for_a_sender_who_chose_no_language(db, smtp, mailbox):
    _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr", name="Claire Martin")
    mailbox.append("INBOX", _request(user.email))
    assert fetch_mail().counts == {"held": 1}
    assert deliver_all() == ["sent"]
    (message,) = smtp.messages
    text, _html = _bodies(message)
    with force_locale("fr"):
        opened = gettext("Your request was not opened: %(subject)s", subject="Imprimante")
        refused = gettext(
            "Your e-mail “%(subject)s” did not open a request: the file “%(file)s” was "
            "refused. %(why)s",
            subject="Imprimante",
            file="setup.exe",
            why="",
        ).strip()
        kinds = gettext("This type of file is not accepted. Accepted: %(types)s.", types="")
    assert message["Subject"] == opened
    assert text.startswith("Bonjour Claire Martin,")  # the default language: French
    assert refused in text and kinds.split(":")[0] in text


def test_told_once_however_often_it_is_retried(db, smtp, mailbox):
    _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr")
    raw = _request(user.email)
    mailbox.append("INBOX", raw)
    mailbox.append("INBOX", raw)  # delivered twice: one message
    assert fetch_mail().counts == {"held": 1, "duplicate": 1}
    (row,) = ledger()
    assert retry_message(row.id, actor=make_user(role=Role.ADMIN)) == "held"  # refused again
    assert len(_answers()) == 1
    assert ledger()[0].data["answered"] is True


def test_counted_with_the_acknowledgements(app, db, smtp, mailbox, monkeypatch):
    """A robot with no robot headers answering each of these with another file would get an
    answer per poll, all day: past DESK_INBOUND_MAX_ACKS_PER_HOUR it gets none."""
    monkeypatch.setitem(app.config, "INBOUND_MAX_ACKS_PER_HOUR", 2)
    _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr")
    for n in range(4):
        mailbox.append("INBOX", _request(user.email, subject=f"Imprimante {n}"))
    assert fetch_mail().counts == {"held": 4}
    assert len(_answers()) == 2
    assert [bool(r.data.get("answered")) for r in ledger()] == [True, True, False, False]


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-generated\r\n",
        "Precedence: list\r\nList-Id: <imprimantes.lists.umontpellier.fr>\r\n",
        "Return-Path: <>\r\n",  # the null sender: a notification, which nothing answers
    ],
)
def test_a_robot_is_never_answered(db, smtp, mailbox, headers):
    _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr")
    mailbox.append("INBOX", _request(user.email, extra=headers))
    assert fetch_mail().counts == {"ignored": 1}
    assert ledger()[0].reason is HoldReason.AUTO_REPLY
    assert _answers() == []


def test_a_stranger_is_never_answered(db, smtp, mailbox):
    _queue_with_address()
    mailbox.append("INBOX", _request("eve@elsewhere.example"))
    assert fetch_mail().counts == {"held": 1}
    assert ledger()[0].reason is HoldReason.UNKNOWN_SENDER
    assert _answers() == []


def test_an_accepted_file_opens_the_request_and_nothing_else_is_said(db, smtp, mailbox):
    _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr")
    pdf = ("devis.pdf", "application", "pdf", samples.PDF)
    raw = samples.with_files(
        sender=user.email, to=ADDRESS, subject="Devis", files=[pdf], inline_image=None
    )
    mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"created": 1}
    assert _answers() == []


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_answering_the_answer_opens_the_request_under_its_own_subject(db, smtp, mailbox, locale):
    """The answer's subject is what the person's reply is called ("RE: Votre demande n’a pas
    été ouverte : Imprimante"): sent again with the file, the next answer does not stack its
    words twice; sent without it, the request opened is "Imprimante", in the queue written to,
    and its acknowledgement says so."""
    queue, _entry = _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr", locale=locale)
    mailbox.append("INBOX", _request(user.email))
    assert fetch_mail().counts == {"held": 1}
    assert deliver_all() == ["sent"]
    (first,) = smtp.messages
    with force_locale(locale):
        expected = gettext("Your request was not opened: %(subject)s", subject="Imprimante")
    assert first["Subject"] == expected
    # Outlook answers "RE: …", with the file still attached: refused again, the same subject.
    again = samples.with_files(
        sender=user.email,
        to=first["Reply-To"],
        subject=f"RE: {first['Subject']}",
        in_reply_to=first["Message-ID"],
        files=[EXE],
        inline_image=None,
    )
    mailbox.append("INBOX", again)
    assert fetch_mail().counts == {"held": 1}
    assert deliver_all() == ["sent"]
    second = smtp.messages[-1]
    assert second["Subject"] == expected
    # Without the file, from the second answer: the request opens under its own subject.
    reply = samples.gmail(
        sender=user.email,
        to=second["Reply-To"],
        subject=f"RE: {second['Subject']}",
        in_reply_to=second["Message-ID"],
        words="Sans le fichier : l’imprimante affiche une erreur.",
    )
    mailbox.append("INBOX", reply)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = db.session.query(Ticket).all()
    assert ticket.subject == "Imprimante"
    assert ticket.queue_id == queue.id and ticket.requester_id == user.id
    assert deliver_all() == ["sent"]
    acknowledgement = smtp.messages[-1]
    assert acknowledgement["Subject"].endswith(": Imprimante")
    assert acknowledgement["Subject"].startswith(f"[{ticket.reference}] ")


def test_a_reply_to_the_answer_is_named_by_the_same_words_in_every_language(app):
    """The answer's subject and the words desk.inbound.requests takes off a reply's subject
    are one function's: "RE: <the answer's subject>" opens "Imprimante", in each language."""
    with app.app_context():
        for code in app.config["LANGUAGES"]:
            subject = refused_request_subject(email_language(code), "Imprimante")
            assert subject != "Imprimante"
            assert ticket_subject(f"RE: {subject}") == "Imprimante"
            twice = refused_request_subject(email_language(code), subject)
            assert ticket_subject(f"TR: RE: {twice}") == "Imprimante"
