"""A deadline warning or breach held for the queue's business hours goes to the ticket's holder
and the queue's leads. If by the morning the holder is away (an absence beginning that day), or
was deactivated overnight, their e-mail is withdrawn, and the queue hears of it instead, as the
sweep would have told it had it run then: the present members (once each, under the sweep's
dedupe keys), else the present admins, marked unattended. A holder who is there gets it as
before, and nobody else does."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

from desk.absences.services import plan_absence
from desk.auth.models import Role
from desk.auth.services import deactivate_user
from desk.catalog.forms.fields import local_today
from desk.extensions import db
from desk.notifications.delivery import AWAY, DEACTIVATED
from desk.notifications.models import Channel, DeliveryStatus, NotificationEvent
from desk.sla.models import SlaEventKind as K
from desk.sla.signals import sla_breached
from tests.notifications.helpers import assign, deliver_all, rows, submit
from tests.notifications.test_schedule import _calendar, paris
from tests.support.factories import make_queue, make_user

E = NotificationEvent
S = DeliveryStatus
NIGHT = paris(2026, 12, 1, 22, 0)  # a Tuesday: the queue opens at 08:00 on Wednesday
MORNING = paris(2026, 12, 2, 8, 0)


def _office(*, mate: bool = True):
    queue = make_queue()
    queue.calendar = _calendar("Ouvré", [["08:00", "17:00"]])
    db.session.commit()
    lead = make_user(role=Role.TECHNICIAN, queues=(queue,), leads=(queue,))
    holder = make_user(role=Role.TECHNICIAN, queues=(queue,))
    member = make_user(role=Role.TECHNICIAN, queues=(queue,)) if mate else None
    ticket = submit(make_user(), queue=queue)
    assign(ticket, holder, actor=lead)
    db.session.commit()
    return ticket, lead, holder, member


def _breach_at_night(ticket, clock) -> None:
    clock(NIGHT)
    sla_breached.send(ticket, kind=K.RESOLUTION_BREACH, due_at=NIGHT)
    db.session.commit()


def _away_from_today(*people) -> None:
    """An absence beginning the day the morning's delivery runs (the real day: the delivery's
    `local_today`), planned after the sweep wrote."""
    today = local_today()
    for person in people:
        plan_absence(person, today, today + dt.timedelta(days=3), actor=person)
    db.session.commit()


def _morning(clock) -> None:
    clock(MORNING)  # the outbox's now: the queue is open, what it writes is due at once
    deliver_all()  # the held e-mails
    deliver_all()  # what their delivery wrote


def _mails(ticket) -> dict[int, list]:
    by_reader: dict[int, list] = {}
    for row in rows(Channel.EMAIL, ticket_id=ticket.id, event=E.SLA_BREACHED):
        by_reader.setdefault(row.recipient_id, []).append(row)
    return by_reader


def _told(smtp, ticket) -> list[str]:
    return sorted(
        parseaddr(m["To"])[1]
        for m in smtp.messages
        if ticket.reference in m["Subject"] and "dépassée" in m["Subject"]
    )


def test_holder_away_from_the_morning_the_present_members_get_it_once(db, smtp, clock):
    ticket, lead, holder, member = _office()
    _breach_at_night(ticket, clock)
    assert set(_mails(ticket)) == {lead.id, holder.id}
    _away_from_today(holder)

    _morning(clock)

    mails = _mails(ticket)
    assert [(r.status, r.last_error) for r in mails[holder.id]] == [(S.WITHDRAWN, AWAY)]
    assert [r.status for r in mails[member.id]] == [S.SENT]
    assert [r.status for r in mails[lead.id]] == [S.SENT]  # one row: the same key
    assert _told(smtp, ticket) == sorted([lead.email, member.email])
    bells = [r.recipient_id for r in rows(Channel.INAPP, event=E.SLA_BREACHED)]
    assert sorted(bells) == sorted([lead.id, holder.id, member.id])

    deliver_all()  # a second look (a redelivered task) writes nothing more
    assert _told(smtp, ticket) == sorted([lead.email, member.email])


def test_holder_deactivated_overnight_the_members_get_it(db, smtp, clock):
    ticket, lead, holder, member = _office()
    _breach_at_night(ticket, clock)
    deactivate_user(holder, actor=make_user(role=Role.ADMIN))
    db.session.commit()

    _morning(clock)

    mails = _mails(ticket)
    assert [(r.status, r.last_error) for r in mails[holder.id]] == [(S.WITHDRAWN, DEACTIVATED)]
    assert [r.status for r in mails[member.id]] == [S.SENT]
    assert _told(smtp, ticket) == sorted([lead.email, member.email])


def test_holder_away_and_nobody_present_the_admins_get_it_unattended(db, smtp, clock):
    ticket, lead, holder, _ = _office(mate=False)
    admin = make_user(role=Role.ADMIN)
    _away_from_today(lead)  # away already at night: the bell only
    _breach_at_night(ticket, clock)
    assert set(_mails(ticket)) == {holder.id}
    _away_from_today(holder)

    _morning(clock)

    mails = _mails(ticket)
    assert [(r.status, r.last_error) for r in mails[holder.id]] == [(S.WITHDRAWN, AWAY)]
    assert lead.id not in mails  # away: the bell only, as at night
    (row,) = mails[admin.id]
    assert row.status is S.SENT
    assert [e.get("unattended") for e in row.payload["events"]] == [True]
    assert _told(smtp, ticket) == [admin.email]


def test_holder_present_gets_it_and_nobody_else(db, smtp, clock):
    ticket, lead, holder, member = _office()
    _breach_at_night(ticket, clock)

    _morning(clock)

    mails = _mails(ticket)
    assert {reader: [r.status for r in found] for reader, found in mails.items()} == {
        lead.id: [S.SENT],
        holder.id: [S.SENT],
    }
    assert _told(smtp, ticket) == sorted([lead.email, holder.email])
    assert member.id not in {r.recipient_id for r in rows(Channel.INAPP, event=E.SLA_BREACHED)}
