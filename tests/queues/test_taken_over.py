"""A technician whose ticket a colleague takes (claims it, gives it to someone else, or puts
it back in its queue) is told, in the bell and by e-mail as they chose, in their language:
who took it and who has it now. They may be writing to its requester at that very moment.
Not when they let it go themselves; the reply they were writing is never lost."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select

from desk.admin.services import remove_member
from desk.auth.models import Role
from desk.core.db import utcnow
from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.notifications.services import set_email_preferences
from desk.notifications.views import STAFF_EVENTS
from desk.reference.models import QueueMembership
from desk.tickets.actions import (
    assign_ticket,
    claim_ticket,
    give_back_ticket,
    release_tickets,
)
from desk.tickets.models import EventKind, TicketEvent
from desk.tickets.services import reopen_ticket
from tests.queues.test_give_back import _fresh, _give_back, _version
from tests.support.factories import make_ticket, make_user

E = NotificationEvent


def _told(event: NotificationEvent, channel: Channel) -> dict[int, Notification]:
    db.session.expire_all()
    query = select(Notification).where(Notification.event == event, Notification.channel == channel)
    return {n.recipient_id: n for n in db.session.scalars(query)}


def _taken(channel: Channel) -> dict[int, Notification]:
    return _told(E.TAKEN_OVER, channel)


@pytest.fixture
def held(desk):
    desk.tech.locale = "en"
    db.session.commit()
    return make_ticket(
        queue=desk.network, requester=desk.requester, status="in_progress", assignee=desk.tech
    )


@pytest.fixture
def third(desk):
    """A third technician of the network queue."""
    return make_user(
        "tiers.reseau@umontpellier.fr", role="technician", queues=(desk.network,), name="Léo Petit"
    )


def _mail(user) -> tuple[str, str, str]:
    mail = _taken(Channel.EMAIL)[user.id]
    return render_email(mail.payload, mail.id)


def test_a_colleague_claiming_it_tells_its_holder(desk, login, held):
    mate = login(desk.mate)
    data = {"version": _version(mate, held), "csrf_token": mate.last_csrf}
    assert mate.post(f"/tickets/{held.reference}/claim", data=data).status_code == 302
    assert _fresh(held).assignee_id == desk.mate.id
    # Only its former holder hears it; the one who took it is not told of their own act.
    assert set(_taken(Channel.INAPP)) == set(_taken(Channel.EMAIL)) == {desk.tech.id}
    subject, text, html = _mail(desk.tech)
    assert subject.startswith(f"[{held.reference}] No longer assigned to you:")
    said = "Sophie Durand took this ticket: it is no longer assigned to you."
    assert said in text and said in html
    assert f"/tickets/{held.reference}" in text  # still theirs to open: they work its queue

    bell = login(desk.tech).get("/notifications").text
    assert "No longer assigned to you" in bell and held.reference in bell
    assert said in bell


@pytest.mark.parametrize("how", ["page", "bulk"])
def test_a_reassignment_to_someone_else_tells_its_holder(desk, login, held, third, how):
    mate = login(desk.mate)
    if how == "page":
        data = {"version": _version(mate, held), "csrf_token": mate.last_csrf}
        response = mate.post(
            f"/tickets/{held.reference}/assign", data={**data, "assignee": str(third.id)}
        )
    else:
        mate.get("/queues/reseau")
        data = {
            "action": "assign",
            "assignee": str(third.id),
            "ticket": f"{held.id}:{_fresh(held).version}",
            "csrf_token": mate.last_csrf,
        }
        response = mate.post("/queues/reseau/bulk", data=data)
    assert response.status_code in (200, 302)
    assert _fresh(held).assignee_id == third.id
    assert set(_taken(Channel.EMAIL)) == {desk.tech.id}
    assert set(_told(E.ASSIGNED, Channel.EMAIL)) == {third.id}
    _subject, text, html = _mail(desk.tech)
    said = "Sophie Durand assigned this ticket to Léo Petit: it is no longer assigned to you."
    assert said in text and said in html


def test_put_back_in_its_queue_by_a_colleague(desk, login, held, third):
    """Its holder hears it under their own switch, not as the queue's "back without a
    technician" (which they may have turned off), and only once; the others hear that."""
    assert _give_back(login(desk.mate), held, note="Karim est en réunion").status_code == 302
    assert _fresh(held).assignee_id is None
    assert set(_taken(Channel.EMAIL)) == set(_taken(Channel.INAPP)) == {desk.tech.id}
    assert set(_told(E.RETURNED, Channel.EMAIL)) == {third.id}
    mail = _taken(Channel.EMAIL)[desk.tech.id]
    assert [e["event"] for e in mail.events] == ["taken_over"]
    _subject, text, html = render_email(mail.payload, mail.id)
    said = "Sophie Durand put this ticket back in its queue"
    assert said in text and said in html
    assert "it is no longer assigned to you, and nobody holds it now." in text
    assert "Karim est en réunion" in text and "Karim est en réunion" in html
    # No admin is told: its former holder, a member of the queue, is here and heard it.
    assert desk.admin.id not in _told(E.RETURNED, Channel.INAPP)


def test_said_in_french_to_a_french_reader(desk, held):
    desk.tech.locale = "fr"
    db.session.commit()
    claim_ticket(held, actor=desk.mate)
    subject, text, _html = _mail(desk.tech)
    assert subject.startswith(f"[{held.reference}] ")
    assert "Bonjour Karim Benali" in text and "Hello" not in text


def test_not_when_they_let_it_go_themselves(desk, held, third):
    assign_ticket(held, third, actor=desk.tech)
    assert not _taken(Channel.INAPP) and not _taken(Channel.EMAIL)
    assign_ticket(held, desk.tech, actor=third)  # Léo gives it back to Karim himself
    assert not _taken(Channel.INAPP)
    give_back_ticket(held, actor=desk.tech)
    assert not _taken(Channel.INAPP) and not _taken(Channel.EMAIL)


def test_the_e_mail_follows_their_choice(desk, login, held):
    page = login(desk.tech).get("/preferences/notifications").text
    assert (
        "A colleague takes a ticket I hold, gives it to someone else or puts it back in its queue"
        in page
    )
    set_email_preferences(desk.tech, set(STAFF_EVENTS) - {E.TAKEN_OVER}, actor=desk.tech)
    claim_ticket(held, actor=desk.mate)
    assert set(_taken(Channel.INAPP)) == {desk.tech.id}
    assert not _taken(Channel.EMAIL)


def test_the_reply_they_were_writing_is_kept_and_goes_through(desk, login, held):
    """Karim has the page open and writes; Sophie takes the ticket meanwhile. His reply is
    refused, in his language, naming who changed it, with his words still in the box; sent
    again it goes to the requester (he still works the queue)."""
    tech = login(desk.tech)
    stale = {"version": _version(tech, held), "csrf_token": tech.last_csrf}
    claim_ticket(held, actor=desk.mate)
    reply = f"/tickets/{held.reference}/reply"
    words = "I am coming at 2 pm to change the socket."
    response = tech.post(reply, data={**stale, "body": words})
    assert response.status_code == 409
    assert "This ticket was changed by Sophie Durand at" in response.text
    form = re.search(r'<form[^>]*id="reply-form".*?</form>', response.text, re.S).group(0)
    assert words in form
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    assert tech.post(reply, data={**stale, "body": words, "version": version}).status_code == 302
    db.session.expire_all()
    bodies = db.session.scalars(
        select(TicketEvent.body).where(
            TicketEvent.ticket_id == held.id, TicketEvent.kind == EventKind.REPLY
        )
    ).all()
    assert bodies == [words]


def test_a_holder_who_left_the_queue_hears_that_it_went_back_to_it(desk, held):
    """Released because they no longer work its queue (an admin took them out of it): not a
    colleague taking it, but work in hand gone from their lists all the same. They hear it
    as taken over, in their language, without a link to a page no longer theirs."""
    membership = db.session.scalar(
        select(QueueMembership).where(QueueMembership.user_id == desk.tech.id)
    )
    remove_member(membership, actor=desk.admin)
    db.session.commit()
    assert _fresh(held).assignee_id is None
    assert set(_taken(Channel.INAPP)) == {desk.tech.id}
    assert _taken(Channel.INAPP)[desk.tech.id].payload["events"] == [
        {"event": "taken_over", "left": True}
    ]
    subject, text, html = _mail(desk.tech)
    assert "No longer assigned to you" in " ".join(subject.split())
    queue = desk.network.name_en or desk.network.name_fr
    sentence = (
        f"You are no longer in the queue “{queue}”: this ticket you held went back to it, "
        "and nobody holds it now."
    )
    assert sentence in text and "Open the ticket" not in text
    assert "this e-mail needs no answer" in text and "Open the ticket" not in html


def test_a_ticket_back_in_the_queue_of_a_holder_gone_is_news_only_for_work_in_hand(desk, held):
    """Not for a finished ticket coming back to the queue as its requester reopens it (its
    holder finished it before leaving), nor for a holder made a requester (no longer staff)."""
    resolved = make_ticket(
        queue=desk.network,
        requester=desk.requester,
        status="resolved",
        assignee=desk.tech,
        resolved_at=utcnow(),
    )
    membership = db.session.scalar(
        select(QueueMembership).where(QueueMembership.user_id == desk.tech.id)
    )
    remove_member(membership, actor=desk.admin)  # the open one goes back, and he hears it
    db.session.commit()
    db.session.execute(delete(Notification))
    db.session.commit()
    reopen_ticket(resolved, desk.requester, reason="Toujours en panne")
    assert _fresh(resolved).assignee_id is None
    assert not _taken(Channel.INAPP)

    other = make_ticket(
        queue=desk.network, requester=desk.requester, status="in_progress", assignee=desk.mate
    )
    desk.mate.role = Role.REQUESTER
    release_tickets(desk.mate, actor=None)
    db.session.commit()
    assert _fresh(other).assignee_id is None
    assert not _taken(Channel.INAPP)
