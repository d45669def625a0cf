"""A queue with nobody present (every member away, or none active): a new ticket, an SLA
warning or breach, a requester's message, a reopening, a ticket given back or transferred to
it also reaches the admins who are here, by their own choices, once each, and says why;
nothing changes while one member is present."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale

from desk.absences.services import plan_absence
from desk.auth.models import Role
from desk.catalog.forms.fields import local_today
from desk.extensions import db
from desk.notifications.content import headline
from desk.notifications.models import Channel, NewTicketMode, NotificationEvent
from desk.notifications.services import set_email_preferences, set_new_ticket_mode
from desk.reference.models import QueueMembership
from desk.sla.models import SlaEventKind
from desk.sla.signals import sla_breached, sla_warning
from desk.tickets.actions import change_status, give_back_ticket
from desk.tickets.models import Status
from desk.tickets.services import (
    NewTicket,
    add_requester_comment,
    create_ticket,
    reopen_ticket,
)
from tests.notifications.helpers import assign, deliver_all, rows, submit, transfer
from tests.support.factories import make_queue, make_request_type, make_user

E = NotificationEvent
SENTENCE = (
    "No one in this queue is present (all away, or no active member): "
    "you are told as an administrator."
)


def _away(user) -> None:
    today = local_today()
    plan_absence(user, today, today + dt.timedelta(days=3), actor=user)


def _events(user, channel: Channel) -> list[NotificationEvent]:
    return [r.event for r in rows(channel, recipient_id=user.id)]


@pytest.fixture
def desk_team(db):
    queue = make_queue(code="reseau")
    karim = make_user("karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    lead = make_user("lead@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), leads=(queue,))
    # An admin who works the queue too, and is away with the others.
    member_admin = make_user("ma@umontpellier.fr", role=Role.ADMIN, queues=(queue,))
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN, locale="en", name="Ada Admin")
    digest_admin = make_user("digest-admin@umontpellier.fr", role=Role.ADMIN)
    set_new_ticket_mode(digest_admin, NewTicketMode.DIGEST, actor=digest_admin)
    away_admin = make_user("away-admin@umontpellier.fr", role=Role.ADMIN)
    _away(away_admin)
    gone_admin = make_user("gone@umontpellier.fr", role=Role.ADMIN, is_active=False)
    requester = make_user("claire@umontpellier.fr", name="Claire Martin")
    people = {
        "karim": karim,
        "lead": lead,
        "member_admin": member_admin,
        "admin": admin,
        "digest_admin": digest_admin,
        "away_admin": away_admin,
        "gone_admin": gone_admin,
    }
    return queue, people, requester


def test_a_new_ticket_nobody_in_the_queue_can_see_reaches_the_present_admins(desk_team, smtp):
    queue, p, requester = desk_team
    for name in ("karim", "lead", "member_admin"):
        _away(p[name])
    ticket = submit(requester, queue=queue, subject="Plus de réseau")
    # The members: the bell for their return, as before.
    for name in ("karim", "lead", "member_admin"):
        assert _events(p[name], Channel.INAPP) == [E.NEW_TICKET]  # once, admin or not
        assert _events(p[name], Channel.EMAIL) == []
    # The admin who is here: the bell and the e-mail, in their language, saying why.
    assert _events(p["admin"], Channel.INAPP) == [E.NEW_TICKET]
    (email,) = rows(Channel.EMAIL, recipient_id=p["admin"].id)
    assert email.event is E.NEW_TICKET and email.payload["events"][0]["unattended"] is True
    # A digest reader's digest lists their own queues only: the bell, no e-mail now.
    assert _events(p["digest_admin"], Channel.INAPP) == [E.NEW_TICKET]
    assert _events(p["digest_admin"], Channel.EMAIL) == []
    # Away, or deactivated: nothing.
    for name in ("away_admin", "gone_admin"):
        assert _events(p[name], Channel.INAPP) == _events(p[name], Channel.EMAIL) == []

    assert sorted(deliver_all()) == ["sent", "sent"]  # the acknowledgement and the admin
    (message,) = smtp.to(p["admin"].email)
    assert " ".join(message["Subject"].split()) == (
        f"[{ticket.reference}] New ticket in your queue: Plus de réseau"
    )
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert SENTENCE in text
    html = " ".join(message.get_body(("html",)).get_content().split())
    assert f"<p>{SENTENCE}</p>" in html


def test_the_bell_entry_says_why_an_admin_hears_of_it(desk_team, login):
    queue, p, requester = desk_team
    for name in ("karim", "lead", "member_admin"):
        _away(p[name])
    submit(requester, queue=queue)
    page = login(p["admin"]).get("/notifications", headers={"Accept-Language": "en"}).text
    assert SENTENCE in " ".join(page.split())


def test_a_queue_without_an_active_member_tells_the_admins(db):
    queue = make_queue()
    make_user(role=Role.TECHNICIAN, queues=(queue,), is_active=False)
    admin = make_user(role=Role.ADMIN)
    submit(make_user(), queue=queue)
    assert _events(admin, Channel.INAPP) == _events(admin, Channel.EMAIL) == [E.NEW_TICKET]


def test_one_member_present_is_enough_no_admin_is_told(desk_team):
    queue, p, requester = desk_team
    for name in ("karim", "member_admin"):
        _away(p[name])
    submit(requester, queue=queue)  # the lead is here
    assert _events(p["lead"], Channel.EMAIL) == [E.NEW_TICKET]
    for name in ("admin", "digest_admin"):
        assert _events(p[name], Channel.INAPP) == _events(p[name], Channel.EMAIL) == []


def test_a_member_who_chose_nothing_is_still_present(desk_team):
    queue, p, requester = desk_team
    set_new_ticket_mode(p["lead"], NewTicketMode.NONE, actor=p["lead"])
    for name in ("karim", "member_admin"):
        _away(p[name])
    submit(requester, queue=queue)
    assert _events(p["admin"], Channel.INAPP) == []


def test_an_sla_warning_and_breach_nobody_present_hears_reach_the_admins(desk_team):
    queue, p, requester = desk_team
    ticket = submit(requester, queue=queue)
    ticket.assignee, ticket.status = p["karim"], Status.ASSIGNED
    db.session.commit()
    due = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    sla_warning.send(ticket, kind=SlaEventKind.RESOLUTION_WARNING, due_at=due)
    db.session.commit()
    assert _events(p["admin"], Channel.INAPP) == []  # Karim is here
    for name in ("karim", "lead", "member_admin"):
        _away(p[name])
    # The admin switched deadline warnings off by e-mail: the bell only, as for a member.
    set_email_preferences(p["digest_admin"], set(E) - {E.SLA_WARNING}, actor=p["digest_admin"])
    later = due + dt.timedelta(days=1)
    for _ in range(2):  # the sweep seeing it twice tells nobody twice
        sla_warning.send(ticket, kind=SlaEventKind.RESOLUTION_WARNING, due_at=later)
        db.session.commit()
        sla_breached.send(ticket, kind=SlaEventKind.RESOLUTION_BREACH, due_at=later)
        db.session.commit()
    assert _events(p["admin"], Channel.INAPP) == [E.SLA_WARNING, E.SLA_BREACHED]
    assert _events(p["admin"], Channel.EMAIL) == [E.SLA_WARNING, E.SLA_BREACHED]
    assert all(r.payload["events"][0]["unattended"] for r in rows(recipient_id=p["admin"].id))
    assert _events(p["digest_admin"], Channel.EMAIL) == [E.SLA_BREACHED]
    assert _events(p["digest_admin"], Channel.INAPP) == [E.SLA_WARNING, E.SLA_BREACHED]
    # The member admin is the queue's: told once, as a member who is away.
    assert _events(p["member_admin"], Channel.EMAIL) == [E.NEW_TICKET]  # before leaving
    assert _events(p["member_admin"], Channel.INAPP).count(E.SLA_WARNING) == 1
    assert _events(p["away_admin"], Channel.INAPP) == []


# -- the queue's other news: a requester's message, a reopening, a ticket back or moved in --


def _everyone_away(p) -> None:
    for name in ("karim", "lead", "member_admin"):
        _away(p[name])


def _everyone_away_but(p, present: str) -> None:
    for name in ("karim", "lead", "member_admin"):
        if name != present:
            _away(p[name])


def _karims_ticket_and_only_he_is_here(queue, p, requester):
    """A ticket of the queue assigned to Karim; the lead and the member admin are away."""
    ticket = submit(requester, queue=queue)
    assign(ticket, p["karim"], actor=p["karim"])
    db.session.commit()
    _everyone_away_but(p, "karim")
    return ticket


def _admin_heard(p, event: NotificationEvent) -> None:
    """The present admin: the bell and the e-mail, saying why; the others nothing."""
    assert _events(p["admin"], Channel.INAPP).count(event) == 1
    assert _events(p["admin"], Channel.EMAIL).count(event) == 1
    told = [r for r in rows(recipient_id=p["admin"].id) if r.event is event]
    assert all(r.payload["events"][0]["unattended"] is True for r in told)
    for name in ("away_admin", "gone_admin"):
        assert event not in _events(p[name], Channel.INAPP)


def test_a_requester_message_nobody_present_hears_reaches_the_admins(desk_team, smtp):
    queue, p, requester = desk_team
    ticket = submit(requester, queue=queue)
    _everyone_away(p)
    add_requester_comment(ticket, requester, "Toujours rien")
    for name in ("karim", "lead", "member_admin"):
        assert _events(p[name], Channel.INAPP).count(E.COMMENTED) == 1  # once, admin or not
        assert E.COMMENTED not in _events(p[name], Channel.EMAIL)
    _admin_heard(p, E.COMMENTED)
    assert E.COMMENTED in _events(p["digest_admin"], Channel.EMAIL)  # not a new ticket

    deliver_all()
    # In the admin's language (English), at send time.
    (message,) = [m for m in smtp.to(p["admin"].email) if "Toujours rien" in m.as_string()]
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert SENTENCE in text


def test_a_reopening_nobody_present_hears_reaches_the_admins(desk_team):
    queue, p, requester = desk_team
    ticket = submit(requester, queue=queue)
    ticket.status, ticket.resolved_at = Status.RESOLVED, dt.datetime.now(dt.UTC)
    db.session.commit()
    _everyone_away(p)
    reopen_ticket(ticket, requester, reason="Le problème revient")
    _admin_heard(p, E.REOPENED)


def test_a_ticket_given_back_to_a_queue_nobody_present_works_reaches_the_admins(desk_team):
    queue, p, requester = desk_team
    ticket = _karims_ticket_and_only_he_is_here(queue, p, requester)
    # Karim leaves today and gives his tickets back: nobody is left to take them.
    today = local_today()
    plan_absence(p["karim"], today, today, actor=p["karim"], give_back=True)
    assert db.session.get(type(ticket), ticket.id).assignee_id is None
    assert E.RETURNED in _events(p["lead"], Channel.INAPP)
    _admin_heard(p, E.RETURNED)


def test_a_ticket_transferred_to_a_queue_nobody_present_works_reaches_the_admins(desk_team):
    queue, p, requester = desk_team
    elsewhere = make_queue(code="ailleurs")
    sender = make_user(role=Role.TECHNICIAN, queues=(elsewhere,))
    ticket = submit(requester, queue=elsewhere)
    _everyone_away(p)
    transfer(ticket, queue, actor=sender)
    db.session.commit()
    _admin_heard(p, E.TRANSFERRED)


def test_the_queue_news_reaches_no_admin_while_someone_is_present(desk_team):
    queue, p, requester = desk_team
    ticket = submit(requester, queue=queue)
    for name in ("karim", "member_admin"):
        _away(p[name])
    add_requester_comment(ticket, requester, "Le chef est là")  # the lead is here
    assert E.COMMENTED in _events(p["lead"], Channel.EMAIL)
    # An assigned ticket whose technician is here: theirs, whoever else is away.
    assign(ticket, p["lead"], actor=p["lead"])
    ticket.status, ticket.resolved_at = Status.RESOLVED, dt.datetime.now(dt.UTC)
    db.session.commit()
    reopen_ticket(ticket, requester, reason="Encore")
    assert E.REOPENED in _events(p["lead"], Channel.EMAIL)
    for name in ("admin", "digest_admin"):
        assert _events(p[name], Channel.INAPP) == _events(p[name], Channel.EMAIL) == []


# -- the one who acts is not told of it: they are no one present to hear it ----------------


def _not_told(user, event: NotificationEvent) -> None:
    assert event not in _events(user, Channel.INAPP) + _events(user, Channel.EMAIL)


def test_the_last_technician_here_giving_a_ticket_back_tells_the_admins(desk_team):
    queue, p, requester = desk_team
    ticket = _karims_ticket_and_only_he_is_here(queue, p, requester)
    # Karim is here and lets go of it: he is not told, and nobody else present is.
    give_back_ticket(ticket, actor=p["karim"], note="Je ne peux pas m’en occuper")
    db.session.commit()
    _not_told(p["karim"], E.RETURNED)
    assert E.RETURNED in _events(p["lead"], Channel.INAPP)
    _admin_heard(p, E.RETURNED)


def test_a_ticket_moved_in_by_the_queues_last_member_here_tells_the_admins(desk_team):
    queue, p, requester = desk_team
    elsewhere = make_queue(code="ailleurs")
    ticket = submit(requester, queue=elsewhere)
    for name in ("lead", "member_admin"):
        _away(p[name])
    transfer(ticket, queue, actor=p["karim"])
    db.session.commit()
    _not_told(p["karim"], E.TRANSFERRED)
    _admin_heard(p, E.TRANSFERRED)


def test_a_ticket_filed_by_the_queues_last_member_here_tells_the_admins(desk_team):
    queue, p, requester = desk_team
    for name in ("lead", "member_admin"):
        _away(p[name])
    new = NewTicket(
        request_type=make_request_type(queue=queue),
        requester=requester,
        subject="Au guichet",
        data={},
        queue=queue,
    )
    create_ticket(new, actor=p["karim"])
    _not_told(p["karim"], E.NEW_TICKET)
    _admin_heard(p, E.NEW_TICKET)


def test_the_actor_with_a_colleague_here_tells_no_admin(desk_team):
    queue, p, requester = desk_team
    ticket = submit(requester, queue=queue)
    assign(ticket, p["karim"], actor=p["karim"])
    db.session.commit()
    _away(p["member_admin"])
    give_back_ticket(ticket, actor=p["karim"])  # the lead is here
    db.session.commit()
    assert E.RETURNED in _events(p["lead"], Channel.EMAIL)
    for name in ("admin", "digest_admin"):
        assert _events(p[name], Channel.INAPP) == _events(p[name], Channel.EMAIL) == []


def test_the_assignee_reopening_their_own_ticket_tells_no_admin(desk_team):
    queue, p, requester = desk_team
    ticket = submit(requester, queue=queue)
    assign(ticket, p["karim"], actor=p["karim"])
    db.session.commit()
    change_status(ticket, Status.RESOLVED, actor=p["karim"])
    db.session.commit()
    _everyone_away_but(p, "karim")
    # Karim takes up again the ticket he holds: he is here and it is his, nothing is unattended.
    change_status(ticket, Status.REOPENED, actor=p["karim"])
    db.session.commit()
    _not_told(p["karim"], E.REOPENED)
    for name in ("admin", "digest_admin"):
        assert _events(p[name], Channel.INAPP) == _events(p[name], Channel.EMAIL) == []


def test_a_ticket_its_technician_moves_into_their_own_queue_tells_no_admin(desk_team):
    queue, p, requester = desk_team
    elsewhere = make_queue(code="ailleurs")
    p["karim"].memberships.append(QueueMembership(queue=elsewhere))
    db.session.commit()
    ticket = submit(requester, queue=elsewhere)
    assign(ticket, p["karim"], actor=p["karim"])
    db.session.commit()
    _everyone_away_but(p, "karim")
    transfer(ticket, queue, actor=p["karim"])  # he keeps it: a member of both
    db.session.commit()
    for name in ("admin", "digest_admin"):
        assert _events(p[name], Channel.INAPP) == _events(p[name], Channel.EMAIL) == []


@pytest.mark.parametrize("how", ["given_back", "away"])
def test_an_admin_told_of_a_ticket_back_in_a_queue_is_not_told_it_is_theirs(desk_team, smtp, how):
    # The e-mail said "Back in your queue" to an administrator who works no such queue and
    # hears of it only because nobody in it is present (the bundled e-mail of several
    # tickets already had words of its own, 43866bb).
    queue, p, requester = desk_team
    ticket = _karims_ticket_and_only_he_is_here(queue, p, requester)
    if how == "given_back":
        give_back_ticket(ticket, actor=p["karim"], note="Je ne peux pas m’en occuper")
    else:
        today = local_today()
        plan_absence(p["karim"], today, today, actor=p["karim"], give_back=True)
    db.session.commit()
    _admin_heard(p, E.RETURNED)
    deliver_all(held_too=True)
    (message,) = [m for m in smtp.to(p["admin"].email) if ticket.reference in m["Subject"]]
    subject = " ".join(message["Subject"].split())
    assert subject.startswith(f"[{ticket.reference}] Back in a queue with nobody present")
    text = " ".join(message.get_body(("plain",)).get_content().split())
    html = " ".join(message.get_body(("html",)).get_content().split())
    for body in (text, html):
        assert "your queue" not in body
        assert "back in the queue “Queue”, where nobody is present" in body  # its English name
        assert SENTENCE in body
    # The bell says the same to the admin.
    (bell,) = [r for r in rows(Channel.INAPP, recipient_id=p["admin"].id) if r.event is E.RETURNED]
    with force_locale("en"):
        assert headline(bell.payload["events"], "staff") == (
            "Back in a queue with nobody present, unassigned"
        )
