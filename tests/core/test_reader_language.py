"""Each reader's language: an English reader sees no French subject, timeline entry, date
format, size unit or decimal sign, in pages, lists and e-mails (and French readers keep theirs)."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel
from desk.sla.models import SlaEventKind
from desk.sla.timeline import encode_sla_data
from desk.tickets.models import Attachment, EventKind, TicketEvent
from tests.notifications.helpers import rows, submit
from tests.support.factories import make_queue, make_request_type, make_ticket, make_user

DUE = dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC)  # 17:00 in Paris


@pytest.fixture
def world(app_ctx):
    queue = make_queue(code="reseau")
    rtype = make_request_type(queue=queue)
    rtype.title_fr, rtype.title_en = "Problème de connexion réseau", "Network connection problem"
    db.session.commit()
    english = make_user("bob@umontpellier.fr", locale="en", name="Bob")
    tech = make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), locale="en")
    ticket = make_ticket(
        queue=queue,
        request_type=rtype,
        requester=english,
        subject="Problème de connexion réseau – UM-PC-12",
    )
    db.session.add_all(
        [
            TicketEvent(
                ticket_id=ticket.id,
                kind=EventKind.SYSTEM,
                field="sla",
                old_value=encode_sla_data(DUE, 3),
                new_value=SlaEventKind.RESOLUTION_BREACH.value,
                body="",
                is_internal=True,
            ),
            Attachment(
                ticket_id=ticket.id,
                uploader_id=english.id,
                filename="capture.png",
                content_type="image/png",
                size=2150,
                sha256="0" * 64,
            ),
        ]
    )
    db.session.flush()
    comment = TicketEvent(ticket=ticket, actor=english, kind=EventKind.COMMENT, body="See file")
    db.session.add(comment)
    db.session.flush()
    attachment = db.session.query(Attachment).filter_by(filename="capture.png").one()
    attachment.event_id = comment.id
    db.session.commit()
    return queue, rtype, english, tech, ticket


def _no_french(text: str) -> None:
    for french in ("Problème de connexion", "Objectif", "échéance", "Priorité", " Ko"):
        assert french not in text, french


def test_english_requester_pages_and_list(world, login):
    _queue, _rtype, english, _tech, ticket = world
    client = login(english)
    listing = client.get("/mes-demandes?show=all").text
    # The type's title, then what the form said (the title is not said twice).
    assert 'Network connection problem<br><span class="hint">UM-PC-12</span>' in listing
    page = client.get(f"/mes-demandes/{ticket.reference}").text
    assert "Network connection problem – UM-PC-12" in page
    assert "2.1 KB" in page
    _no_french(listing + page)


def test_english_technician_list_and_ticket_page(world, login):
    queue, _rtype, _english, tech, ticket = world
    client = login(tech)
    listing = client.get(f"/queues/{queue.code}").text
    assert "Network connection problem – UM-PC-12" in listing
    page = client.get(f"/tickets/{ticket.reference}").text
    assert "Resolution target missed (due 1 Dec 2026, 17:00). Priority: High" in page
    _no_french(listing + page)


def test_french_reader_keeps_french(world, login):
    _queue, _rtype, _english, tech, ticket = world
    tech.locale = "fr"
    db.session.commit()
    page = login(tech).get(f"/tickets/{ticket.reference}").text
    assert "Problème de connexion réseau – UM-PC-12" in page
    assert "Objectif de résolution dépassé" in page and "01/12/2026 17:00" in page
    assert "2,1 Ko" in page


def test_english_emails_have_english_subjects(world, app):
    _queue, rtype, english, tech, _ticket = world
    ticket = submit(english, request_type=rtype, subject="Problème de connexion réseau – PC-9")
    for row in rows(Channel.EMAIL):
        subject, text, html = render_email(row.payload, row.id)
        assert "Network connection problem – PC-9" in subject
        _no_french(subject + text + html)
    assert {r.recipient_id for r in rows(Channel.EMAIL)} == {english.id, tech.id}
    assert ticket.reference


def test_typed_text_in_another_language_is_marked_in_emails_and_the_bell(world, app, login):
    _queue, rtype, english, tech, _ticket = world
    tech.locale = "fr"
    db.session.commit()
    subject = "Problème de connexion réseau – my PC"
    submit(english, request_type=rtype, subject=subject, language="en")
    mails = {r.recipient_id: r for r in rows(Channel.EMAIL)}
    _subject, _text, html = render_email(mails[tech.id].payload, mails[tech.id].id)
    assert 'Problème de connexion réseau – <span lang="en">my PC</span>' in html
    _subject, _text, html = render_email(mails[english.id].payload, mails[english.id].id)
    assert "Network connection problem – my PC" in html and "<span lang" not in html
    bell = login(tech).get("/notifications").text
    assert 'Problème de connexion réseau – <span lang="en">my PC</span>' in bell


@pytest.mark.parametrize(
    ("accept", "saved", "expected"),
    [
        ("en-GB,en;q=0.9", None, "en"),
        ("fr-FR,fr;q=0.9", None, "fr"),
        ("de-DE", None, "fr"),  # a language desk does not speak: the default
        ("fr-FR", "en", "en"),  # the saved choice wins over the browser's
        ("en-GB", "fr", "fr"),
    ],
)
def test_page_language_is_the_readers(app, accept, saved, expected):
    """`page_language()` / `english_page()`, the one rule every bilingual name and title
    follows (catalogue titles, sites, queues, articles, subjects, the queue list's options)."""
    from flask_login import login_user

    from desk.core.i18n import english_page, page_language

    with app.test_request_context(headers={"Accept-Language": accept}):
        if saved is not None:
            login_user(make_user(f"reader-{saved}-{accept[:2]}@umontpellier.fr", locale=saved))
        assert page_language() == expected
        assert english_page() is (expected == "en")
        db.session.rollback()


def test_page_language_outside_a_request_is_french(app_ctx):
    from desk.core.i18n import page_language

    assert page_language() == "fr"
