"""A canned reply sent in the requester's language is stored, shown and mailed as written in
that language, not in the language of the technician's page (RGAA 8.7)."""

from __future__ import annotations

import html as html_lib
import re

from desk.extensions import db
from desk.notifications.content import render_email
from desk.tickets.models import EventKind
from tests.queues.test_message_language import _body_div, _last, _reply_mail
from tests.queues.test_ticket_files import _send


def _reply_box(page: str) -> str:
    box = re.search(r'<textarea[^>]*id="reply-body"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    return html_lib.unescape(box).strip()


def test_english_canned_reply_sent_from_a_french_page_is_english(team, login):
    tech = login(team.tech)  # reads French pages
    ticket = team.english  # John chose English
    canned = _reply_box(tech.get(f"/tickets/{ticket.reference}?canned={team.welcome.id}").text)
    assert canned.startswith("Hello John Smith")
    # The technician adds a line of their own, as one does.
    assert _send(tech, ticket, "reply", canned + "\nBest regards").status_code == 302
    reply = _last(EventKind.REPLY)
    assert reply.language == "en"

    # The technician's French page marks it English; John's English page does not mark it.
    french = tech.get(f"/tickets/{ticket.reference}").text
    assert _body_div(french, reply) == '<div class="body" lang="en">'
    english = login(team.john).get(f"/mes-demandes/{ticket.reference}").text
    assert _body_div(english, reply) == '<div class="body">'

    # John's e-mail, were it in French, would mark it English.
    mail = _reply_mail(team.john)
    _subject, _text, html = render_email({**mail.payload, "locale": "fr"}, mail.id)
    assert '<blockquote lang="en">Hello John Smith' in html


def test_french_words_typed_on_the_same_ticket_stay_french(team, login):
    tech = login(team.tech)
    assert _send(tech, team.english, "reply", "Je passe demain matin.").status_code == 302
    assert _last(EventKind.REPLY).language == "fr"


def test_french_canned_reply_sent_from_an_english_page_is_french(team, login):
    team.tech.locale = "en"
    db.session.commit()
    tech = login(team.tech)
    ticket = team.ticket  # Claire reads French
    canned = _reply_box(tech.get(f"/tickets/{ticket.reference}?canned={team.welcome.id}").text)
    assert canned.startswith("Bonjour Claire Martin")
    assert _send(tech, ticket, "reply", canned).status_code == 302
    reply = _last(EventKind.REPLY)
    assert reply.language == "fr"
    english = tech.get(f"/tickets/{ticket.reference}").text
    assert _body_div(english, reply) == '<div class="body" lang="fr">'


def test_names_and_references_filled_in_do_not_make_french_words_english(team, login):
    """'Bonjour John Smith, DEM-…' shares the name and reference with the English canned
    text, not its language."""
    tech = login(team.tech)
    body = f"Bonjour John Smith, {team.english.reference}"
    assert _send(tech, team.english, "reply", body).status_code == 302
    assert _last(EventKind.REPLY).language == "fr"
