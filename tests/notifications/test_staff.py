"""Staff are told: new tickets (each, digest or nothing), requester replies and reopenings,
assignments and transfers; never the actor; quiet hours and exactly once as for requesters."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.notifications import digest
from desk.notifications.models import Channel, NewTicketMode, NotificationEvent
from desk.notifications.services import set_email_preferences, set_new_ticket_mode
from desk.tickets.actions import change_status
from desk.tickets.history import apply_status
from desk.tickets.models import Status
from desk.tickets.services import add_requester_comment, reopen_ticket
from desk.tickets.workflow import Actor
from tests.notifications.helpers import assign, deliver_all, rows, submit, transfer
from tests.notifications.test_schedule import PARIS, _calendar, paris
from tests.support.factories import make_queue, make_request_type, make_user

E = NotificationEvent


def _events(user, channel: Channel) -> list[NotificationEvent]:
    return [r.event for r in rows(channel, recipient_id=user.id)]


@pytest.fixture
def team(db):
    queue = make_queue()
    other = make_queue(queue.domain)
    each = make_user("each@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    digested = make_user("digest@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    silent = make_user("silent@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    outsider = make_user("outsider@umontpellier.fr", role=Role.TECHNICIAN, queues=(other,))
    requester = make_user("claire@umontpellier.fr")
    set_new_ticket_mode(digested, NewTicketMode.DIGEST, actor=digested)
    set_new_ticket_mode(silent, NewTicketMode.NONE, actor=silent)
    return queue, other, each, digested, silent, outsider, requester


def test_a_new_ticket_reaches_the_queue_as_each_member_chose(team):
    queue, _other, each, digested, silent, outsider, requester = team
    submit(requester, queue=queue)
    assert _events(each, Channel.INAPP) == [E.NEW_TICKET]
    assert _events(each, Channel.EMAIL) == [E.NEW_TICKET]
    assert _events(digested, Channel.INAPP) == [E.NEW_TICKET]
    assert _events(digested, Channel.EMAIL) == []  # waits for the digest
    assert _events(silent, Channel.INAPP) == _events(silent, Channel.EMAIL) == []
    assert _events(outsider, Channel.INAPP) == []
    assert _events(requester, Channel.EMAIL) == [E.SUBMITTED]
    assert _events(requester, Channel.INAPP) == []  # one's own receipt is not bell news


def test_a_member_who_turned_off_new_ticket_emails_keeps_the_bell_only(team):
    queue, _other, each, digested, _silent, _outsider, requester = team
    muted = make_user("muted@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    everything_but_new = set(E) - {E.NEW_TICKET}
    set_email_preferences(muted, everything_but_new, actor=muted)
    # another event turned off does not mute new tickets
    set_email_preferences(each, set(E) - {E.RESOLVED}, actor=each)
    db.session.commit()
    submit(requester, queue=queue)
    assert _events(muted, Channel.INAPP) == [E.NEW_TICKET]
    assert _events(muted, Channel.EMAIL) == []
    assert _events(each, Channel.EMAIL) == [E.NEW_TICKET]
    assert _events(digested, Channel.EMAIL) == []
    assert _events(requester, Channel.EMAIL) == [E.SUBMITTED]


def test_a_member_filing_in_their_own_queue_is_not_told(team):
    queue, _other, each, *_rest = team
    submit(each, queue=queue)
    assert _events(each, Channel.EMAIL) == [E.SUBMITTED]
    assert _events(each, Channel.INAPP) == []


def test_reply_and_reopen_go_to_the_assignee_else_the_queue(team):
    queue, _other, each, digested, silent, _outsider, requester = team
    ticket = submit(requester, queue=queue)
    add_requester_comment(ticket, requester, "Toujours en panne")
    # Nobody assigned: every member (whatever their new-ticket choice) hears of it.
    for member in (each, digested, silent):
        assert E.COMMENTED in _events(member, Channel.INAPP)
    assign(ticket, each, actor=digested)
    apply_status(ticket, Status.RESOLVED, each, Actor.STAFF)
    db.session.commit()
    reopen_ticket(ticket, requester, reason="Le problème revient")
    assert _events(each, Channel.INAPP).count(E.REOPENED) == 1
    assert _events(each, Channel.EMAIL).count(E.REOPENED) == 1
    assert E.REOPENED not in _events(digested, Channel.INAPP)
    assert E.REOPENED not in _events(requester, Channel.INAPP)  # the actor


def test_reopen_without_assignee_reaches_the_queue(team):
    queue, _other, each, digested, _silent, outsider, requester = team
    ticket = submit(requester, queue=queue)
    ticket.status, ticket.resolved_at = Status.RESOLVED, dt.datetime.now(dt.UTC)
    db.session.commit()
    reopen_ticket(ticket, requester, reason="Non")
    assert E.REOPENED in _events(each, Channel.INAPP)
    assert E.REOPENED in _events(digested, Channel.INAPP)
    assert E.REOPENED not in _events(outsider, Channel.INAPP)


def test_a_colleague_reopening_a_ticket_is_not_called_its_requester(team, smtp, login):
    queue, _other, each, digested, _silent, _outsider, requester = team
    each.locale = "en"
    ticket = submit(requester, queue=queue)
    assign(ticket, each, actor=digested)
    apply_status(ticket, Status.RESOLVED, each, Actor.STAFF)
    db.session.commit()
    change_status(ticket, Status.REOPENED, actor=digested)  # staff may reopen it too
    db.session.commit()
    deliver_all()
    (message,) = [m for m in smtp.to(each.email) if "Reopened" in m["Subject"]]
    assert " ".join(message["Subject"].split()) == (
        f"[{ticket.reference}] Reopened by a colleague: {ticket.subject}"
    )
    bell = login(each).get("/notifications").text
    assert "Reopened by a colleague" in bell and "by the requester" not in bell
    # Its requester reopening it is still said so.
    apply_status(ticket, Status.RESOLVED, each, Actor.STAFF)
    db.session.commit()
    reopen_ticket(ticket, requester, reason="Le problème revient")
    deliver_all()
    subjects = [" ".join(m["Subject"].split()) for m in smtp.to(each.email)]
    assert f"[{ticket.reference}] Reopened by the requester: {ticket.subject}" in subjects


def test_assignment_and_transfer(team):
    queue, other, each, digested, _silent, outsider, requester = team
    ticket = submit(requester, queue=queue)
    assign(ticket, each, actor=each)  # self-assignment: the actor is not told
    db.session.commit()
    assert E.ASSIGNED not in _events(each, Channel.INAPP)
    assign(ticket, digested, actor=each)
    db.session.commit()
    assert _events(digested, Channel.EMAIL).count(E.ASSIGNED) == 1
    transfer(ticket, other, actor=each)
    db.session.commit()
    assert _events(outsider, Channel.EMAIL) == [E.TRANSFERRED]
    assert E.TRANSFERRED not in _events(each, Channel.INAPP)


def test_a_new_ticket_at_night_emails_at_the_queue_opening(team, clock):
    queue, _other, each, *_rest, requester = team
    queue.calendar = _calendar("Bureau", [["08:00", "18:00"]])
    db.session.commit()
    clock(paris(2026, 12, 1, 22, 30))  # a Tuesday evening
    submit(requester, queue=queue)
    (email,) = rows(Channel.EMAIL, recipient_id=each.id)
    assert email.next_attempt_at == paris(2026, 12, 2, 8, 0)
    (bell,) = rows(Channel.INAPP, recipient_id=each.id)
    assert bell.created_at is not None  # the bell shows it at once


def _digest_rows(user):
    return [r for r in rows(Channel.EMAIL, recipient_id=user.id) if r.payload.get("digest")]


def test_the_digest_lists_new_tickets_once(team, app):
    queue, other, _each, digested, _silent, _outsider, requester = team
    first = submit(requester, queue=queue, subject="Imprimante")
    second = submit(requester, queue=queue, subject="Scanner")
    submit(requester, queue=other, subject="Ailleurs")
    submit(digested, queue=queue, subject="Ma propre demande")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=app.config["NOTIFY_DIGEST_MINUTES"] + 2)
    assert digest.send_digests(now=later) == 1
    (row,) = _digest_rows(digested)
    assert [t["reference"] for t in row.payload["tickets"]] == [first.reference, second.reference]
    # Run again (a second beat, a retried task): nothing new, nothing sent.
    assert digest.send_digests(now=later) == 0
    assert digest.send_digests(now=later + dt.timedelta(minutes=1)) == 0
    assert len(_digest_rows(digested)) == 1


def test_no_digest_goes_to_an_address_no_server_takes(team, app):
    # A stand-in under .invalid (a shared address, until the directory gives theirs).
    queue, _other, _each, digested, _silent, _outsider, requester = team
    digested.email = "shared-address-d1@desk.invalid"
    db.session.commit()
    submit(requester, queue=queue, subject="Imprimante")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=app.config["NOTIFY_DIGEST_MINUTES"] + 2)
    assert digest.send_digests(now=later) == 0
    assert _digest_rows(digested) == []


def test_the_digest_leaves_out_a_ticket_its_subscriber_filed_for_someone(team, app):
    """A technician filing a caller's request in their own queue is not told of it by the
    bell or by e-mail (their own action): nor by their digest."""
    from desk.tickets.services import NewTicket, create_ticket

    queue, _other, _each, digested, _silent, _outsider, requester = team
    entry = make_request_type(queue=queue)
    filed, _created = create_ticket(
        NewTicket(request_type=entry, requester=requester, subject="Au téléphone", data={}),
        actor=digested,
    )
    theirs = submit(requester, queue=queue, subject="Scanner")
    assert _events(digested, Channel.INAPP) == [E.NEW_TICKET]  # the requester's own only
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=app.config["NOTIFY_DIGEST_MINUTES"] + 2)
    assert digest.send_digests(now=later) == 1
    (row,) = _digest_rows(digested)
    assert [t["reference"] for t in row.payload["tickets"]] == [theirs.reference]
    assert filed.reference not in str(row.payload)


def test_the_digest_waits_for_business_hours(team, app):
    queue, *_rest, requester = team
    queue.calendar = _calendar("Bureau", [["08:00", "18:00"]])
    db.session.commit()
    submit(requester, queue=queue)  # now: the dates below follow it, whatever day CI runs
    today = dt.datetime.now(PARIS).date()
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)
    night = paris(saturday.year, saturday.month, saturday.day, 23, 0)  # far after the ticket
    assert digest.send_digests(now=night) == 0
    monday = saturday + dt.timedelta(days=2)
    assert digest.send_digests(now=paris(monday.year, monday.month, monday.day, 9, 0)) == 1


def test_a_deadline_of_a_ticket_nobody_holds_reaches_its_queue(db):
    """An unassigned ticket nearing or missing its deadline, in a queue without a lead (most
    of them): its members hear of it, as a requester's message would reach them; leads too."""
    from desk.sla.sweep import sweep_sla
    from tests.sla.conftest import add_policy, new_ticket
    from tests.sla.conftest import paris as at

    calendar = _calendar("Ouvré", [["08:00", "17:00"]])
    network = make_request_type(kind="incident")
    add_policy(network, calendar, first=240, resolution=2 * 540)
    queue = network.default_queue
    karim = make_user(role=Role.TECHNICIAN, queues=(queue,))
    julie = make_user(role=Role.TECHNICIAN, queues=(queue,), locale="en")
    outsider = make_user(role=Role.TECHNICIAN, queues=(make_queue(queue.domain),))
    ticket = new_ticket(network, at(2026, 12, 4, 16, 0))  # a Friday, nobody takes it
    assert sweep_sla(at(2026, 12, 7, 10, 30)) == 1  # Monday: the first answer is due at 11:00
    for member in (karim, julie):
        assert _events(member, Channel.INAPP).count(E.SLA_WARNING) == 1
        assert _events(member, Channel.EMAIL).count(E.SLA_WARNING) == 1
    assert _events(outsider, Channel.INAPP) == []
    # A lead is told as before, once, with the members.
    lead = make_user(role=Role.TECHNICIAN, queues=(queue,), leads=(queue,))
    assert sweep_sla(at(2026, 12, 7, 11, 1)) == 1
    for member in (karim, julie, lead):
        assert _events(member, Channel.INAPP).count(E.SLA_BREACHED) == 1
    # Once someone holds it, they (and the leads) hear of the rest, not the whole queue.
    assign(ticket, karim, actor=karim)
    db.session.commit()
    assert sweep_sla(at(2026, 12, 8, 12, 0)) == 1  # resolution due Tuesday 16:00, warned at 13:45
    assert _events(karim, Channel.INAPP).count(E.SLA_WARNING) == 1 + 1
    assert _events(lead, Channel.INAPP).count(E.SLA_WARNING) == 1
    assert _events(julie, Channel.INAPP).count(E.SLA_WARNING) == 1


def test_a_breach_mail_says_the_priority_was_raised_only_when_it_was(db, smtp):
    """A breach raises the priority one step, up to critical: a critical ticket (or one the
    first answer's breach made critical) stays there, and its mail must not say it rose."""
    from desk.sla.sweep import sweep_sla
    from tests.sla.conftest import add_policy, new_ticket
    from tests.sla.conftest import paris as at

    network = make_request_type(kind="incident")
    add_policy(network, _calendar("Ouvré", [["08:00", "17:00"]]), first=240, resolution=540)
    karim = make_user(role=Role.TECHNICIAN, queues=(network.default_queue,), locale="en")
    new_ticket(network, at(2026, 12, 4, 16, 0), priority=3)  # high, a Friday
    assert sweep_sla(at(2026, 12, 7, 11, 1)) == 1  # the first answer missed: critical
    assert sweep_sla(at(2026, 12, 7, 16, 1)) == 1  # the resolution missed: critical still
    deliver_all()
    breaches = [
        m.get_body(preferencelist=("plain",)).get_content()
        for m in smtp.to(karim.email)
        if "Deadline missed" in m["Subject"]
    ]
    assert len(breaches) == 2
    assert "first-response deadline" in breaches[0]
    assert "Its priority has been raised." in breaches[0]
    assert "resolution deadline" in breaches[1]
    assert "priority" not in breaches[1]


def test_staff_news_of_a_technician_s_own_ticket_links_to_the_staff_page(db):
    """A technician files a request in their own queue (their own PC) and a colleague gives
    it to them: "assigned to you" opens the staff page where they work it, not their
    requester's page, which offers nothing to do; what they hear as its requester (the
    acknowledgement, a reply) still opens their requester's page."""
    from desk.tickets.actions import add_reply, assign_ticket

    queue = make_queue()
    tech = make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    mate = make_user("mate@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(tech, queue=queue, subject="Mon propre PC")
    assign_ticket(ticket, tech, actor=mate)
    add_reply(ticket, "Je passe à 14 h", actor=mate)
    paths = {(r.event, r.channel): r.payload["path"] for r in rows(recipient_id=tech.id)}
    staff_page, own_page = f"/tickets/{ticket.reference}", f"/mes-demandes/{ticket.reference}"
    assert paths[(NotificationEvent.ASSIGNED, Channel.EMAIL)] == staff_page
    assert paths[(NotificationEvent.ASSIGNED, Channel.INAPP)] == staff_page
    assert paths[(NotificationEvent.SUBMITTED, Channel.EMAIL)] == own_page
    assert paths[(NotificationEvent.REPLIED, Channel.EMAIL)] == own_page
