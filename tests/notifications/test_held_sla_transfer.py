"""A deadline's e-mail held for the business hours of the ticket's queue, and the ticket moved
overnight to another queue (another calendar): the held e-mails of the first queue's people
are withdrawn in the morning (no longer theirs), so the new queue's people, who answer for it
now, get the news instead: at once when their queue is open round the clock, once each, and
the one who is in both queues keeps the one e-mail they had, and one who turned those
e-mails off gets the bell only."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

from desk.absences.services import plan_absence
from desk.auth.models import Role
from desk.catalog.forms.fields import local_today
from desk.notifications.models import (
    Channel,
    DeliveryStatus,
    NotificationEvent,
    NotificationPreference,
)
from desk.sla.models import SlaEventKind as K
from desk.sla.signals import sla_breached
from desk.tickets.actions import transfer_ticket
from tests.notifications.helpers import deliver_all, rows, submit
from tests.notifications.test_schedule import _calendar, paris
from tests.support.factories import make_queue, make_user

E = NotificationEvent
S = DeliveryStatus


def test_a_breach_held_for_the_night_reaches_the_queue_the_ticket_moved_to(db, smtp, clock):
    office = make_queue()
    office.calendar = _calendar("Ouvré", [["08:00", "17:00"]])
    on_call = make_queue(domain=office.domain)
    on_call.calendar = _calendar("24/7", [["00:00", "24:00"]], range(7))
    db.session.commit()
    office_lead = make_user(role=Role.TECHNICIAN, queues=(office,), leads=(office,))
    office_tech = make_user(role=Role.TECHNICIAN, queues=(office,))
    both = make_user(role=Role.TECHNICIAN, queues=(office, on_call))
    on_call_lead = make_user(role=Role.TECHNICIAN, queues=(on_call,), leads=(on_call,))
    on_call_tech = make_user(role=Role.TECHNICIAN, queues=(on_call,))
    # Another member turned breach e-mails off: the bell only, as for the sweep's own news.
    quiet = make_user(role=Role.TECHNICIAN, queues=(on_call,))
    db.session.add(
        NotificationPreference(user_id=quiet.id, event=E.SLA_BREACHED, email_enabled=False)
    )
    db.session.commit()
    ticket = submit(make_user(), queue=office)  # nobody holds it: the members answer for it

    night = paris(2026, 12, 1, 22, 0)  # a Tuesday: the office queue opens at 08:00
    clock(night)
    sla_breached.send(ticket, kind=K.RESOLUTION_BREACH, due_at=night)
    db.session.commit()
    held = rows(Channel.EMAIL, event=E.SLA_BREACHED)
    assert {r.recipient_id for r in held} == {office_lead.id, office_tech.id, both.id}
    assert {r.next_attempt_at for r in held} == {paris(2026, 12, 2, 8, 0)}

    clock(paris(2026, 12, 1, 22, 30))
    transfer_ticket(ticket, on_call, reason="Panne réseau : astreinte", actor=office_lead)
    db.session.commit()

    mails = rows(Channel.EMAIL, event=E.SLA_BREACHED)
    by_reader = {}
    for row in mails:
        by_reader.setdefault(row.recipient_id, []).append(row)
    # The on-call queue is open: its lead and member are told at once, the one in both
    # queues still has one e-mail.
    assert {r.next_attempt_at for r in by_reader[on_call_lead.id]} == {paris(2026, 12, 1, 22, 30)}
    assert {r.next_attempt_at for r in by_reader[on_call_tech.id]} == {paris(2026, 12, 1, 22, 30)}
    assert len(by_reader[both.id]) == 1
    assert quiet.id not in by_reader
    bells = {r.recipient_id for r in rows(Channel.INAPP, event=E.SLA_BREACHED)}
    assert {on_call_lead.id, on_call_tech.id, both.id, quiet.id} <= bells

    deliver_all(held_too=True)

    status = {
        r.recipient_id: (r.status, r.last_error) for r in rows(Channel.EMAIL, event=E.SLA_BREACHED)
    }
    moved = "not sent: the ticket was moved to another queue before the business hours"
    assert status[office_lead.id] == (S.WITHDRAWN, moved)
    assert status[office_tech.id] == (S.WITHDRAWN, moved)
    assert status[both.id][0] is S.SENT
    assert status[on_call_lead.id][0] is S.SENT
    assert status[on_call_tech.id][0] is S.SENT
    told = sorted(
        parseaddr(m["To"])[1]
        for m in smtp.messages
        if ticket.reference in m["Subject"] and "dépassée" in m["Subject"]
    )
    assert told == sorted([both.email, on_call_lead.email, on_call_tech.email])


def test_a_breach_held_for_the_night_moved_to_a_queue_with_nobody_present_reaches_the_admins(
    db, smtp, clock
):
    """The new queue's only member and its lead are away: as for a breach the sweep finds in
    such a queue (`_tell_admins`), the present admins are told; else the first queue's held
    e-mails were withdrawn in the morning and the breach reached nobody by e-mail."""
    office = make_queue()
    office.calendar = _calendar("Ouvré", [["08:00", "17:00"]])
    on_call = make_queue(domain=office.domain)
    on_call.calendar = _calendar("24/7", [["00:00", "24:00"]], range(7))
    db.session.commit()
    office_lead = make_user(role=Role.TECHNICIAN, queues=(office,), leads=(office,))
    on_call_lead = make_user(role=Role.TECHNICIAN, queues=(on_call,), leads=(on_call,))
    on_call_tech = make_user(role=Role.TECHNICIAN, queues=(on_call,))
    admin = make_user(role=Role.ADMIN)
    today = local_today()
    for person in (on_call_lead, on_call_tech):
        plan_absence(person, today, today + dt.timedelta(days=3), actor=person)
    db.session.commit()
    ticket = submit(make_user(), queue=office)

    night = paris(2026, 12, 1, 22, 0)
    clock(night)
    sla_breached.send(ticket, kind=K.RESOLUTION_BREACH, due_at=night)
    db.session.commit()
    assert {r.recipient_id for r in rows(Channel.EMAIL, event=E.SLA_BREACHED)} == {office_lead.id}

    clock(paris(2026, 12, 1, 22, 30))
    transfer_ticket(ticket, on_call, reason="Astreinte", actor=office_lead)
    db.session.commit()
    deliver_all(held_too=True)

    status = {r.recipient_id: r.status for r in rows(Channel.EMAIL, event=E.SLA_BREACHED)}
    assert status[office_lead.id] is S.WITHDRAWN
    assert on_call_lead.id not in status and on_call_tech.id not in status  # away: the bell
    assert status[admin.id] is S.SENT
    # (Besides the move itself, told to them for the same reason.)
    breach = [
        m
        for m in smtp.messages
        if parseaddr(m["To"])[1] == admin.email and "dépassée" in m["Subject"]
    ]
    assert len(breach) == 1 and ticket.reference in breach[0]["Subject"]
    bells = {r.recipient_id for r in rows(Channel.INAPP, event=E.SLA_BREACHED)}
    assert {on_call_lead.id, on_call_tech.id, admin.id} <= bells
