"""A technician whose ticket a colleague transfers to a queue they do not work (the transfer
takes it from them) is told, in the bell and by e-mail as they chose, in their language:
which ticket, the new queue, who sent it there and why. Not for their own transfer; nobody
else hears it (the requester, the colleague, the other queue's staff)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.notifications.services import set_email_preferences
from desk.notifications.views import STAFF_EVENTS
from desk.reference.models import QueueMembership
from desk.tickets.actions import ActionError, transfer_ticket
from tests.queues.test_give_back import _fresh, _transfer
from tests.support.factories import make_ticket

E = NotificationEvent
REASON = "Un souci de messagerie"  # what _transfer sends


def _taken(channel: Channel) -> dict[int, Notification]:
    db.session.expire_all()
    query = select(Notification).where(
        Notification.event == E.TRANSFERRED_AWAY, Notification.channel == channel
    )
    return {n.recipient_id: n for n in db.session.scalars(query)}


@pytest.fixture
def held(desk):
    desk.mail.name_fr, desk.mail.name_en = "Messagerie", "E-mail"
    desk.tech.locale = "en"
    db.session.commit()
    return make_ticket(
        queue=desk.network, requester=desk.requester, status="in_progress", assignee=desk.tech
    )


@pytest.mark.parametrize("how", ["page", "bulk"])
def test_a_colleague_s_transfer_tells_the_technician_it_was_taken_from(desk, login, held, how):
    assert _transfer(login(desk.mate), held, desk.mail, how).status_code in (200, 302)
    assert _fresh(held).assignee_id is None
    # Only they hear it: not the colleague who did it, the new queue's staff (told of a
    # transfer to their queue), the requester.
    assert set(_taken(Channel.INAPP)) == set(_taken(Channel.EMAIL)) == {desk.tech.id}
    mail = _taken(Channel.EMAIL)[desk.tech.id]
    subject, text, html = render_email(mail.payload, mail.id)
    assert subject.startswith(f"[{held.reference}] Transferred to another queue:")
    said = (
        "Sophie Durand transferred this ticket to the queue “E-mail”, which you do not work: "
        "it is no longer assigned to you."
    )
    assert said in text and said in html
    assert f"Reason given:\n\n{REASON}" in text
    # A French reason in an English e-mail says its language (12db046, RGAA 8.7).
    assert f'<blockquote lang="fr">{REASON}</blockquote>' in html
    # The ticket's page is no longer theirs (a 404), and a reply of theirs would be held:
    # the e-mail neither links to it nor invites an answer.
    for body in (text, html):
        assert "Open the ticket" not in body and "A reply to this e-mail" not in body
        assert "This ticket is no longer assigned to you: this e-mail needs no answer." in body

    bell = login(desk.tech).get("/notifications").text
    assert "Transferred to another queue" in bell and held.reference in bell
    assert "Sophie Durand transferred it to the queue “E-mail”." in bell
    assert f'Reason given: <q lang="fr">{REASON}</q>' in bell


def test_the_reason_is_escaped_and_said_in_french_to_a_french_reader(desk, login, held):
    desk.tech.locale = "fr"
    db.session.commit()
    transfer_ticket(held, desk.mail, reason="<b>voir</b> la file", actor=desk.mate)
    mail = _taken(Channel.EMAIL)[desk.tech.id]
    _subject, text, html = render_email(mail.payload, mail.id)
    assert "« Messagerie »" in text or "“Messagerie”" in text  # the queue's French name
    assert "<b>voir</b>" not in html and "&lt;b&gt;voir&lt;/b&gt; la file" in html
    bell = login(desk.tech).get("/notifications").text
    assert "<b>voir</b>" not in bell and "&lt;b&gt;voir&lt;/b&gt; la file" in bell


def test_nobody_else_reads_it(desk, login, held):
    transfer_ticket(held, desk.mail, reason="Réservé à la messagerie", actor=desk.mate)
    for reader in (desk.mate, desk.mail_tech, desk.requester):
        assert "Réservé à la messagerie" not in login(reader).get("/notifications").text
    # The requester reads the reason where the desk shows it to them today (the transfer's
    # line of their request's history), and is sent nothing about who held the ticket.
    db.session.expire_all()
    told = db.session.scalars(
        select(Notification.event).where(Notification.recipient_id == desk.requester.id)
    ).all()
    assert E.TRANSFERRED_AWAY not in told and E.TRANSFERRED not in told


def test_not_for_one_s_own_transfer(desk, held):
    transfer_ticket(held, desk.mail, reason="Pas pour moi", actor=desk.tech)
    assert _fresh(held).assignee_id is None
    assert not _taken(Channel.INAPP) and not _taken(Channel.EMAIL)


def test_not_when_they_keep_it(desk, held):
    """A technician who works the new queue too keeps the ticket: nothing was taken."""
    desk.tech.memberships.append(QueueMembership(queue=desk.mail))
    db.session.commit()
    transfer_ticket(held, desk.mail, reason="Messagerie", actor=desk.mate)
    assert _fresh(held).assignee_id == desk.tech.id
    assert not _taken(Channel.INAPP)


def test_a_refused_transfer_tells_nobody(desk, held):
    with pytest.raises(ActionError):
        transfer_ticket(held, desk.mail, reason="  ", actor=desk.mate)
    assert _fresh(held).assignee_id == desk.tech.id
    assert not _taken(Channel.INAPP) and not _taken(Channel.EMAIL)


def test_the_email_follows_their_choice(desk, login, held):
    page = login(desk.tech).get("/preferences/notifications").text
    assert "A colleague transfers a ticket I hold to a queue I do not work" in page
    set_email_preferences(desk.tech, set(STAFF_EVENTS) - {E.TRANSFERRED_AWAY}, actor=desk.tech)
    transfer_ticket(held, desk.mail, reason="Messagerie", actor=desk.mate)
    assert set(_taken(Channel.INAPP)) == {desk.tech.id}
    assert not _taken(Channel.EMAIL)
