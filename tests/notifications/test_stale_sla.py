"""An SLA warning or breach e-mail held for the queue's business hours is not sent when, by
then, the ticket was finished, or (a first-response one) answered: it is filed 'withdrawn'
with its reason, as a held new-ticket e-mail is (test_stale_new_ticket.py)."""

from __future__ import annotations

from desk.notifications.models import Channel, DeliveryStatus, NotificationEvent
from desk.sla.models import SlaEventKind as K
from desk.sla.signals import sla_breached, sla_warning
from desk.tickets.models import Status
from tests.notifications.helpers import deliver_all, rows
from tests.notifications.test_schedule import _calendar, _staffed_ticket, paris

E = NotificationEvent
S = DeliveryStatus


def _sla_mails(ticket) -> list:
    return [
        row
        for row in rows(Channel.EMAIL, ticket_id=ticket.id)
        if row.event in (E.SLA_WARNING, E.SLA_BREACHED)
    ]


def test_held_sla_mail_of_a_ticket_finished_or_answered_meanwhile_is_withdrawn(db, smtp, clock):
    calendar = _calendar("Ouvré", [["08:00", "17:00"]])
    night = paris(2026, 12, 1, 22, 0)  # a Tuesday: the e-mails wait for Wednesday 08:00
    clock(night)
    resolved, answered, still = (_staffed_ticket(calendar)[0] for _ in range(3))
    sla_warning.send(resolved, kind=K.RESOLUTION_WARNING, due_at=night)
    sla_breached.send(resolved, kind=K.RESOLUTION_BREACH, due_at=night)
    sla_warning.send(answered, kind=K.FIRST_RESPONSE_WARNING, due_at=night)
    sla_warning.send(still, kind=K.FIRST_RESPONSE_WARNING, due_at=night)
    sla_warning.send(still, kind=K.RESOLUTION_WARNING, due_at=night)
    db.session.commit()
    held = [row for t in (resolved, answered, still) for row in _sla_mails(t)]
    assert held and all(row.payload.get("deferred") for row in held)
    # Overnight: one ticket resolved, another answered (its resolution still runs).
    resolved.status = Status.RESOLVED
    answered.first_responded_at = paris(2026, 12, 1, 23, 0)
    db.session.commit()

    deliver_all()  # Wednesday 08:00 has come (the clock's night is in the past)

    finished = "not sent: the ticket was resolved before the business hours"
    assert {(r.status, r.last_error) for r in _sla_mails(resolved)} == {(S.WITHDRAWN, finished)}
    replied = "not sent: the ticket was answered before the business hours"
    assert {(r.status, r.last_error) for r in _sla_mails(answered)} == {(S.WITHDRAWN, replied)}
    assert {r.status for r in _sla_mails(still)} == {S.SENT}
    subjects = [" ".join(m["Subject"].split()) for m in smtp.messages]
    for ticket in (resolved, answered):
        assert not [s for s in subjects if ticket.reference in s and "Échéance" in s]
    assert [s for s in subjects if still.reference in s and "Échéance proche" in s]
