"""The comment a technician writes for the requester with a change of status reaches the
requester (and those in copy) in the e-mail of that change, escaped, not only the page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.watchers.models import TicketWatcher
from tests.support.factories import make_user

NOTE = "Résolu en changeant de prise (<b>B-214</b>)."


def _change(client, ticket, status: str, note: str = ""):
    page = client.get(f"/tickets/{ticket.reference}").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {"version": version, "csrf_token": client.last_csrf, "status": status, "note": note}
    response = client.post(f"/tickets/{ticket.reference}/status", data=data)
    assert response.status_code == 302, response.text[:500]


def _mail(event: NotificationEvent, recipient) -> tuple[str, str]:
    db.session.expire_all()
    mail = db.session.scalars(
        select(Notification).where(
            Notification.channel == Channel.EMAIL,
            Notification.event == event,
            Notification.recipient_id == recipient.id,
        )
    ).one()
    _subject, text, html = render_email(mail.payload, mail.id)
    return text, html


@pytest.mark.parametrize(
    ("status", "event", "sentence"),
    [
        ("resolved", NotificationEvent.RESOLVED, "Votre demande a été résolue."),
        ("waiting_on_requester", NotificationEvent.WAITING, "a besoin d’une réponse de votre part"),
    ],
)
def test_the_comment_is_in_the_requester_s_and_the_copy_s_e_mail(
    desk, login, status, event, sentence
):
    friend = make_user("ami@umontpellier.fr", name="Paul Ami")
    db.session.add(TicketWatcher(ticket_id=desk.ticket.id, user_id=friend.id))
    db.session.commit()
    tech = login(desk.tech)
    _change(tech, desk.ticket, "in_progress")
    _change(tech, desk.ticket, status, NOTE)
    text, html = _mail(event, desk.requester)
    assert sentence in text
    assert f"{desk.tech.display_name} a écrit :" in text and NOTE in text
    quoted = "<blockquote>Résolu en changeant de prise (&lt;b&gt;B-214&lt;/b&gt;).</blockquote>"
    assert quoted in html
    text, html = _mail(event, friend)
    assert NOTE in text and "&lt;b&gt;B-214&lt;/b&gt;" in html


def test_a_cancellation_with_its_reason_says_it_in_the_e_mail(desk, login):
    reason = "Demande en double avec l’appel de ce matin."
    _change(login(desk.tech), desk.ticket, "cancelled", reason)
    text, _html = _mail(NotificationEvent.CLOSED, desk.requester)
    assert "Le centre de services a annulé votre demande." in text
    assert reason in text
    assert "lire le commentaire" not in text  # it is in the e-mail itself


def test_without_a_comment_the_e_mail_has_none(desk, login):
    tech = login(desk.tech)
    _change(tech, desk.ticket, "in_progress")
    _change(tech, desk.ticket, "resolved")
    text, html = _mail(NotificationEvent.RESOLVED, desk.requester)
    assert "a écrit" not in text and "<blockquote>" not in html
