"""A breach's timeline line says whom the breach really reached by e-mail (the leads, the
technician holding the ticket, the queue's technicians, the admins, or nobody), as the
notification rows written with it show; never "the queue leads are alerted" by default."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from desk.absences.services import plan_absence
from desk.auth.models import Role
from desk.catalog.forms.fields import local_today
from desk.extensions import db as _db
from desk.notifications.models import Channel, NotificationEvent
from desk.notifications.services import set_email_preferences
from desk.sla.sweep import sweep_sla
from desk.sla.timeline import describe_sla_event
from desk.tickets.models import TicketEvent
from tests.notifications.helpers import rows
from tests.sla.conftest import add_policy, new_ticket, paris
from tests.support.factories import make_queue, make_request_type, make_user

E = NotificationEvent
BREACH_AT = paris(2026, 11, 24, 9, 0)  # past the Zoom licence's working day


def _away(user) -> None:
    today = local_today()
    plan_absence(user, today, today + dt.timedelta(days=3), actor=user)


def _line(ticket, locale: str = "en") -> str:
    event = _db.session.scalar(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.field == "sla")
    )
    with force_locale(locale):
        return describe_sla_event(event)


def _mailed(ticket) -> set[int]:
    return {
        r.recipient_id
        for r in rows(Channel.EMAIL, ticket_id=ticket.id)
        if r.event is E.SLA_BREACHED
    }


def _belled(ticket) -> set[int]:
    return {r.recipient_id for r in rows(Channel.INAPP, ticket_id=ticket.id)}


@pytest.fixture
def team(workday):
    queue = make_queue(code="visio")
    request_type = make_request_type(slug="zoom-licence", queue=queue)
    add_policy(request_type, workday, resolution=540)
    karim = make_user("karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    return queue, request_type, karim


def _breach(request_type, **kwargs):
    ticket = new_ticket(request_type, paris(2026, 11, 20, 16, 30), **kwargs)
    assert sweep_sla(BREACH_AT) == 1
    return ticket


def test_the_holder_and_the_leads_e_mailed(team, login):
    queue, request_type, karim = team
    lead = make_user(
        "nadia@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), leads=(queue,), locale="en"
    )
    ticket = _breach(request_type, assignee=karim, status="assigned")
    assert _mailed(ticket) == {karim.id, lead.id}
    assert _line(ticket) == (
        "Resolution target missed (due 23 Nov 2026, 16:30). Priority: High. "
        "E-mail alert: the technician holding the ticket and the queue leads."
    )
    # Rendered when the page is shown, in the reader's language.
    _db.session.commit()  # end this session's read (SQLite: the login writes)
    page = login(lead).get(f"/tickets/{ticket.reference}").text
    assert "E-mail alert: the technician holding the ticket and the queue leads." in page


def test_a_queue_without_a_lead_does_not_claim_its_leads_were_alerted(team):
    """No lead: the breach goes to the queue's technicians (nobody holds the ticket), and the
    line says so, not "the queue leads are alerted"."""
    queue, request_type, karim = team
    sophie = make_user("sophie@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    ticket = _breach(request_type)
    assert _mailed(ticket) == {karim.id, sophie.id}
    line = _line(ticket)
    assert "lead" not in line.replace("The queue has no lead.", "")
    assert line.endswith("E-mail alert: the queue's technicians. The queue has no lead.")


def test_a_lead_away_is_not_said_to_be_e_mailed(team):
    """desk.absences keeps an away lead's news to the bell: the line says the holder was
    e-mailed and that the leads find it in their notifications."""
    queue, request_type, karim = team
    lead = make_user("nadia@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), leads=(queue,))
    _away(lead)
    ticket = _breach(request_type, assignee=karim, status="assigned")
    assert _mailed(ticket) == {karim.id}
    assert lead.id in _belled(ticket)
    assert _line(ticket).endswith(
        "E-mail alert: the technician holding the ticket. The queue leads get no e-mail of it "
        "(away, alert switched off or no address): it is in their notifications."
    )


def test_a_lead_who_switched_the_alert_off_or_has_no_mailbox(team):
    queue, request_type, karim = team
    muted = make_user(
        "nadia@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), leads=(queue,)
    )
    set_email_preferences(muted, set(), actor=muted, offered={E.SLA_BREACHED})
    stand_in = make_user(
        "shared-address-x1@desk.invalid", role=Role.TECHNICIAN, queues=(queue,), leads=(queue,)
    )
    _db.session.commit()
    ticket = _breach(request_type, assignee=karim, status="assigned")
    assert _mailed(ticket) == {karim.id}
    assert {muted.id, stand_in.id} <= _belled(ticket)
    assert "the technician holding the ticket. The queue leads get no e-mail" in _line(ticket)


def test_everyone_away_the_present_admins_are_alerted(team):
    queue, request_type, karim = team
    lead = make_user("nadia@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), leads=(queue,))
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN)
    for person in (karim, lead):
        _away(person)
    ticket = _breach(request_type, assignee=karim, status="assigned")
    assert _mailed(ticket) == {admin.id}
    assert _line(ticket).endswith(
        "E-mail alert: the administrators (nobody in the queue is present). "
        "The queue leads get no e-mail of it (away, alert switched off or no address): "
        "it is in their notifications."
    )


def test_nobody_e_mailed_is_said_so(team):
    """Everyone away and no admin: nobody with a mailbox is alerted, and the line says so."""
    _queue, request_type, karim = team
    _away(karim)
    ticket = _breach(request_type, assignee=karim, status="assigned")
    assert _mailed(ticket) == set()
    assert _line(ticket).endswith("Nobody was alerted by e-mail. The queue has no lead.")
    assert "alerted" not in _line(ticket).replace("Nobody was alerted", "")


def test_a_breach_recorded_before_the_roles_were_stored_claims_nothing(team):
    _queue, request_type, _karim = team
    ticket = _breach(request_type)
    event = _db.session.scalar(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.field == "sla")
    )
    event.old_value = event.old_value.rsplit("|", 1)[0]
    assert _line(ticket) == "Resolution target missed (due 23 Nov 2026, 16:30). Priority: High."
