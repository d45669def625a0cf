"""An internal note that asks colleagues to read it: those chosen (members of the ticket's
queue) hear of it in their bell and by e-mail, the note says whom it told, and nobody else
(least of all the requester) hears of it. A forged choice is refused with nothing saved."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from desk.absences.services import plan_absence
from desk.catalog.forms.fields import local_today
from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.tickets.models import TicketEvent
from tests.catalog.world import field_errors
from tests.support.factories import make_user

E = NotificationEvent


def _note(client, ticket, body: str, tell: list[str]):
    page = client.get(f"/tickets/{ticket.reference}").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {"version": version, "csrf_token": client.last_csrf, "body": body, "tell": tell}
    return client.post(f"/tickets/{ticket.reference}/note", data=data)


def _noted(channel: Channel) -> dict[int, Notification]:
    db.session.expire_all()
    query = select(Notification).where(
        Notification.event == E.NOTED, Notification.channel == channel
    )
    return {n.recipient_id: n for n in db.session.scalars(query)}


def _notes() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).where(TicketEvent.kind == "note"))


def test_the_colleagues_chosen_are_told_and_the_note_says_so(desk, login):
    client = login(desk.tech)
    page = client.get(f"/tickets/{desk.ticket.reference}").text
    assert "Prévenir des collègues (facultatif)" in page
    tell = re.search(r'<fieldset class="choices[^"]*" id="note-tell">.*?</fieldset>', page, re.S)
    assert tell and "Sophie Durand" in tell.group(0) and "Karim Benali" not in tell.group(0)

    body = "Prise B12 <b>HS</b> : peux-tu passer ?"
    assert _note(client, desk.ticket, body, [str(desk.mate.id)]).status_code == 302
    assert set(_noted(Channel.INAPP)) == set(_noted(Channel.EMAIL)) == {desk.mate.id}
    mail = _noted(Channel.EMAIL)[desk.mate.id]
    subject, text, html = render_email(mail.payload, mail.id)
    assert subject.startswith(f"[{desk.ticket.reference}] Une note d’un collègue pour vous")
    assert "Karim Benali vous demande de lire sa note interne sur ce ticket :" in text
    assert body in text and "&lt;b&gt;HS&lt;/b&gt;" in html
    assert "Prévenus : Sophie Durand" in client.get(f"/tickets/{desk.ticket.reference}").text

    # The requester hears nothing and sees nothing of it.
    assert not any(
        n.recipient_id == desk.requester.id
        for n in db.session.scalars(select(Notification).where(Notification.event == E.NOTED))
    )
    own = login(desk.requester).get(f"/mes-demandes/{desk.ticket.reference}").text
    assert "HS" not in own and "Prévenus" not in own


def test_a_note_that_tells_nobody_notifies_nobody(desk, login):
    assert _note(login(desk.tech), desk.ticket, "Pour mémoire.", []).status_code == 302
    assert not _noted(Channel.INAPP) and not _noted(Channel.EMAIL)


@pytest.mark.parametrize("who", ["self", "other queue", "requester", "unknown", "garbage", "huge"])
def test_a_forged_choice_is_refused_with_nothing_saved(desk, login, who):
    value = {
        "self": str(desk.tech.id),
        "other queue": str(desk.mail_tech.id),
        "requester": str(desk.requester.id),
        "unknown": "999999",
        "garbage": "<script>",
        "huge": "9" * 40,
    }[who]
    before = _notes()
    response = _note(login(desk.tech), desk.ticket, "Note", [str(desk.mate.id), value])
    assert response.status_code == 400
    errors = field_errors(response.text, "note-tell")
    assert errors, response.text[-800:]
    assert "Choisissez des entrées de la liste." in errors[0]
    assert _notes() == before and not _noted(Channel.INAPP)


def test_someone_away_finds_it_in_the_bell_only(desk, login):
    today = local_today()
    plan_absence(desk.mate, today, today + dt.timedelta(days=2), actor=desk.mate)
    assert _note(login(desk.tech), desk.ticket, "À voir", [str(desk.mate.id)]).status_code == 302
    assert set(_noted(Channel.INAPP)) == {desk.mate.id}
    assert not _noted(Channel.EMAIL)


def test_a_colleague_who_left_the_queue_meanwhile_is_refused(desk, login):
    from desk.tickets.actions import ActionError, add_note

    gone = make_user("parti@umontpellier.fr", role="technician", queues=(desk.mail,))
    with pytest.raises(ActionError) as refused:
        add_note(desk.ticket, "Note", actor=desk.tech, tell=[gone])
    assert refused.value.field == "tell"
    assert _notes() == 0
