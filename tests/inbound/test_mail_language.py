"""Words received by e-mail keep the language their mail program declared (Content-Language,
RFC 3282), else the one their writer chose in desk: pages in another language mark them."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.inbound.parsing import parse
from desk.inbound.services import fetch_mail
from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.helpers import events, people_and_ticket, signed
from tests.inbound.test_requests import ADDRESS, _queue_with_address, _tickets
from tests.inbound.test_services import drop, subject_of
from tests.support.factories import make_user


def _with_language(raw: bytes, value: str | None) -> bytes:
    head, sep, rest = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    if value is None:
        return raw
    return head + f"\r\nContent-Language: {value}".encode() + sep + rest


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("en-GB", "en"),
        ("fr-FR", "fr"),
        ("FR", "fr"),
        ("de-DE, en-US", "de"),
        ("english", None),  # not a language tag
        ("x-klingon", None),
        ("", None),
        (None, None),
    ],
)
def test_the_declared_language_is_read(value, expected):
    raw = samples.outlook_fr(sender="a@umontpellier.fr", to="b@univ.example", subject="x")
    assert parse(_with_language(raw, value)).language == expected


def test_the_text_part_s_own_declaration_wins():
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "x"
    message["Content-Language"] = "fr"
    message.set_content("Hello")
    message.add_attachment(b"%PDF-1.7", maintype="application", subtype="pdf", filename="a.pdf")
    message.get_body(("plain",))["Content-Language"] = "en"
    assert parse(message.as_bytes()).language == "en"


def test_an_english_mail_is_marked_on_a_french_staff_page(app_ctx, inbound, login):
    requester, tech, _stranger, ticket = people_and_ticket("waiting_on_requester")
    raw = samples.outlook_fr(
        sender=requester.email, to=signed(ticket), subject=subject_of(ticket), words="Fixed now."
    )
    drop(inbound, "1.eml", _with_language(raw, "en-GB"))
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.language == "en"
    page = login(tech).get(f"/tickets/{ticket.reference}").text
    assert f'id="event-{comment.id}"' in page
    assert '<div class="body" lang="en">Fixed now.' in page


def test_without_a_declaration_the_writer_s_chosen_language_counts(app_ctx, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket("waiting_on_requester")
    requester.locale = "en"
    db.session.commit()
    raw = samples.thunderbird(sender=requester.email, to=signed(ticket), subject="x")
    drop(
        inbound,
        "1.eml",
        raw.replace(b"Subject: Re: x", f"Subject: Re: {subject_of(ticket)}".encode()),
    )
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.language == "en"


def test_unknown_stays_unknown(app_ctx, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket("waiting_on_requester")
    raw = samples.gmail(sender=requester.email, to=signed(ticket), subject=subject_of(ticket))
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.language is None


def test_a_new_request_in_a_declared_language_of_desk_is_filed_in_it(app_ctx, inbound):
    _queue_with_address()
    make_user(email="claire.martin@umontpellier.fr")
    raw = samples.gmail(
        sender="claire.martin@umontpellier.fr", to=ADDRESS, subject="Printer", words="Error 50.2"
    )
    drop(inbound, "1.eml", _with_language(raw, "en-US"))
    drop(inbound, "2.eml", _with_language(raw.replace(b"Printer", b"Drucker"), "de-DE"))
    assert fetch_mail().counts == {"created": 2}
    english, german = _tickets()
    assert english.language == "en"
    assert german.language is None  # not one of desk's: answers follow the requester


def test_staff_replying_by_mail_is_marked_too(app_ctx, inbound):
    _requester, tech, _stranger, ticket = people_and_ticket()
    assert tech.role is Role.TECHNICIAN
    raw = samples.outlook_fr(
        sender=tech.email, to=signed(ticket, staff=True), subject=subject_of(ticket)
    )
    drop(inbound, "1.eml", _with_language(raw, "fr-FR"))
    assert fetch_mail().counts == {"appended": 1}
    (reply,) = events(ticket, EventKind.REPLY)
    assert reply.language == "fr"


@pytest.mark.parametrize(
    ("locale", "words", "expected"),
    [
        ("fr", "Hello, it works now with the new cable. Thanks for your help!", "en"),
        ("en", "Bonjour, cela fonctionne avec le nouveau câble. Merci pour votre aide !", "fr"),
        ("en", "OK", "en"),  # too short to tell: the writer's chosen language
    ],
)
def test_without_a_declaration_words_plainly_in_a_language_are_in_it(
    app_ctx, inbound, locale, words, expected
):
    requester, _tech, _stranger, ticket = people_and_ticket("waiting_on_requester")
    requester.locale = locale
    db.session.commit()
    raw = samples.outlook_fr(
        sender=requester.email, to=signed(ticket), subject=subject_of(ticket), words=words
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.language == expected
