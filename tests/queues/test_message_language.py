"""Messages on a ticket carry the language they were written in: a page or an e-mail in the
other language marks them with `lang` (RGAA 8.7), so that a screen reader reads them right."""

from __future__ import annotations

import re

from sqlalchemy import select

from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.tickets.models import EventKind, TicketEvent
from tests.queues.test_ticket_files import _send


def _body_div(page: str, event: TicketEvent) -> str:
    """The opening tag of the event's body on a page."""
    item = page.split(f'id="event-{event.id}"', 1)[1].split("</li>", 1)[0]
    return re.search(r'<div class="body"[^>]*>', item).group(0)


def _last(kind: EventKind) -> TicketEvent:
    db.session.expire_all()
    return db.session.scalars(
        select(TicketEvent).where(TicketEvent.kind == kind).order_by(TicketEvent.id.desc())
    ).first()


def _reply_mail(recipient) -> Notification:
    """The one e-mail telling `recipient` of a reply."""
    db.session.expire_all()
    return db.session.scalars(
        select(Notification).where(
            Notification.recipient_id == recipient.id,
            Notification.channel == Channel.EMAIL,
            Notification.event == NotificationEvent.REPLIED,
        )
    ).one()


def test_a_reply_typed_on_an_english_page_is_marked_on_french_pages(desk, login):
    desk.tech.locale = "en"
    db.session.commit()
    assert _send(login(desk.tech), desk.ticket, "reply", "Try the other socket.").status_code == 302
    reply = _last(EventKind.REPLY)
    assert reply.language == "en"

    french = login(desk.requester).get(f"/mes-demandes/{desk.ticket.reference}").text
    assert _body_div(french, reply) == '<div class="body" lang="en">'
    # Its writer's own English page does not mark it.
    english = login(desk.tech).get(f"/tickets/{desk.ticket.reference}").text
    assert _body_div(english, reply) == '<div class="body">'

    # Nor does the requester's e-mail, in French, leave it unmarked.
    mail = _reply_mail(desk.requester)
    _subject, _text, html = render_email(mail.payload, mail.id)
    assert '<blockquote lang="en">Try the other socket.</blockquote>' in html


def test_a_note_and_a_comment_keep_the_page_s_language(desk, login):
    assert _send(login(desk.tech), desk.ticket, "note", "Prise 12 HS").status_code == 302
    assert _last(EventKind.NOTE).language == "fr"
    desk.requester.locale = "en"
    db.session.commit()
    requester = login(desk.requester)
    page = requester.get(f"/mes-demandes/{desk.ticket.reference}").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = requester.post(
        f"/mes-demandes/{desk.ticket.reference}/commentaire",
        data={"csrf_token": token, "body": "Still no network."},
    )
    assert response.status_code == 302, response.text[:500]
    comment = _last(EventKind.COMMENT)
    assert comment.language == "en"
    french = login(desk.tech).get(f"/tickets/{desk.ticket.reference}").text
    assert _body_div(french, comment) == '<div class="body" lang="en">'
    assert _body_div(french, _last(EventKind.NOTE)) == '<div class="body">'


def test_a_message_of_unknown_language_is_not_marked(desk, login):
    desk.tech.locale = "en"
    db.session.commit()
    assert _send(login(desk.tech), desk.ticket, "reply", "Old words.").status_code == 302
    reply = _last(EventKind.REPLY)
    reply.language = None  # kept before desk knew it
    db.session.commit()
    french = login(desk.requester).get(f"/mes-demandes/{desk.ticket.reference}").text
    assert _body_div(french, reply) == '<div class="body">'


def test_english_typed_on_a_french_page_is_stored_as_english(desk, login):
    # A technician reading French pages answers an English-speaking student in English.
    words = "Hello John, your licence is active now. Please tell us if it works."
    assert _send(login(desk.tech), desk.ticket, "reply", words).status_code == 302
    reply = _last(EventKind.REPLY)
    assert reply.language == "en"
    french = login(desk.tech).get(f"/tickets/{desk.ticket.reference}").text
    assert _body_div(french, reply) == '<div class="body" lang="en">'


def test_french_typed_on_an_english_page_is_stored_as_french(desk, login):
    desk.requester.locale = "en"
    db.session.commit()
    requester = login(desk.requester)
    page = requester.get(f"/mes-demandes/{desk.ticket.reference}").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    words = "Je n'ai toujours pas de réseau dans le bureau, merci de revenir vers moi."
    response = requester.post(
        f"/mes-demandes/{desk.ticket.reference}/commentaire",
        data={"csrf_token": token, "body": words},
    )
    assert response.status_code == 302, response.text[:500]
    comment = _last(EventKind.COMMENT)
    assert comment.language == "fr"
    english = requester.get(f"/mes-demandes/{desk.ticket.reference}").text
    assert _body_div(english, comment) == '<div class="body" lang="fr">'
