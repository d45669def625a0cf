"""A technician whose ticket a colleague finishes (resolves, closes, cancels, closes as a
duplicate) is told, in the bell and by e-mail as they chose, in their language: who did
it, how, and what they wrote for the requester. They may be writing to its requester or on
their way to it. Not when they did it themselves, not for the requester's own cancellation
(it has its own news), nor for the system's closes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.notifications.services import set_email_preferences
from desk.notifications.views import STAFF_EVENTS
from desk.tickets.actions import change_status, close_as_duplicate
from desk.tickets.history import apply_status
from desk.tickets.models import Status
from desk.tickets.services import cancel_ticket
from desk.tickets.workflow import Actor
from tests.queues.test_give_back import _fresh, _version
from tests.support.factories import make_ticket

E = NotificationEvent


def _finished(channel: Channel) -> dict[int, Notification]:
    db.session.expire_all()
    query = select(Notification).where(
        Notification.event == E.FINISHED, Notification.channel == channel
    )
    return {n.recipient_id: n for n in db.session.scalars(query)}


@pytest.fixture
def held(desk):
    desk.tech.locale = "en"
    db.session.commit()
    return make_ticket(
        queue=desk.network, requester=desk.requester, status="in_progress", assignee=desk.tech
    )


def _status(client, ticket, status: str, note: str = ""):
    data = {"version": _version(client, ticket), "csrf_token": client.last_csrf}
    data |= {"status": status, "note": note}
    return client.post(f"/tickets/{ticket.reference}/status", data=data)


@pytest.mark.parametrize(
    ("status", "said"),
    [
        ("resolved", "Sophie Durand resolved this ticket you hold."),
        ("cancelled", "Sophie Durand cancelled this ticket you hold."),
    ],
)
def test_a_colleague_finishing_it_tells_its_holder(desk, login, held, status, said):
    mate = login(desk.mate)
    note = "Prise <changée> ce matin"
    assert _status(mate, held, status, note=note).status_code == 302
    assert _fresh(held).status is Status(status)
    # Only its holder hears it; the one who finished it is not told of their own act.
    assert set(_finished(Channel.INAPP)) == set(_finished(Channel.EMAIL)) == {desk.tech.id}
    mail = _finished(Channel.EMAIL)[desk.tech.id]
    subject, text, html = render_email(mail.payload, mail.id)
    assert subject.startswith(f"[{held.reference}] Finished by a colleague:")
    assert said in text and said in html
    assert "Sophie Durand wrote:" in text and note in text
    assert "Prise &lt;changée&gt; ce matin" in html

    bell = login(desk.tech).get("/notifications").text
    assert "Finished by a colleague" in bell and held.reference in bell
    assert said in bell


def test_closed_by_a_colleague_after_its_holder_resolved_it(desk, login, held):
    change_status(held, Status.RESOLVED, actor=desk.tech)
    db.session.commit()
    assert not _finished(Channel.INAPP)  # his own act
    assert _status(login(desk.mate), held, "closed").status_code == 302
    mail = _finished(Channel.EMAIL)[desk.tech.id]
    _subject, text, html = render_email(mail.payload, mail.id)
    said = "Sophie Durand closed this ticket you hold."
    assert said in text and said in html


def test_closed_as_a_duplicate_by_a_colleague(desk, login, held):
    original = make_ticket(queue=desk.network, requester=desk.requester, subject="Le même")
    mate = login(desk.mate)
    data = {"version": _version(mate, held), "csrf_token": mate.last_csrf}
    response = mate.post(
        f"/tickets/{held.reference}/duplicate", data={**data, "original": original.reference}
    )
    assert response.status_code == 302
    assert set(_finished(Channel.EMAIL)) == {desk.tech.id}
    mail = _finished(Channel.EMAIL)[desk.tech.id]
    _subject, text, html = render_email(mail.payload, mail.id)
    said = f"Sophie Durand closed this ticket you hold as a duplicate of {original.reference}."
    assert said in text and said in html


def test_said_in_french_to_a_french_reader(desk, held):
    desk.tech.locale = "fr"
    db.session.commit()
    change_status(held, Status.RESOLVED, actor=desk.mate)
    db.session.commit()
    mail = _finished(Channel.EMAIL)[desk.tech.id]
    subject, text, _html = render_email(mail.payload, mail.id)
    assert subject.startswith(f"[{held.reference}] ")
    assert "Bonjour Karim Benali" in text and "Hello" not in text
    assert "Sophie Durand" in text


def test_not_their_own_act_nor_the_requester_s_nor_the_system_s(desk, held):
    change_status(held, Status.RESOLVED, actor=desk.tech)
    db.session.commit()
    apply_status(held, Status.CLOSED, None, Actor.SYSTEM)  # the end of the wait: nobody acted
    db.session.commit()
    assert _fresh(held).status is Status.CLOSED
    withdrawn = make_ticket(
        queue=desk.network, requester=desk.requester, status="in_progress", assignee=desk.tech
    )
    cancel_ticket(withdrawn, desk.requester, reason="Elle remarche")
    db.session.commit()
    assert _fresh(withdrawn).status is Status.CANCELLED
    assert not _finished(Channel.INAPP) and not _finished(Channel.EMAIL)
    # Nobody holds it: nobody to tell.
    change_status(desk.ticket, Status.CANCELLED, actor=desk.mate)
    db.session.commit()
    assert not _finished(Channel.INAPP)


def test_the_e_mail_follows_their_choice(desk, login, held):
    page = login(desk.tech).get("/preferences/notifications").text
    assert "A colleague resolves, closes or cancels a ticket I hold" in page
    set_email_preferences(desk.tech, set(STAFF_EVENTS) - {E.FINISHED}, actor=desk.tech)
    change_status(held, Status.RESOLVED, actor=desk.mate)
    db.session.commit()
    assert set(_finished(Channel.INAPP)) == {desk.tech.id}
    assert not _finished(Channel.EMAIL)


def test_closed_as_a_duplicate_from_the_service(desk, held):
    """The bulk bar and other callers go through the same service."""
    original = make_ticket(queue=desk.network, requester=desk.requester, subject="Le même")
    close_as_duplicate(held, original.reference, actor=desk.mate)
    db.session.commit()
    assert set(_finished(Channel.INAPP)) == {desk.tech.id}
