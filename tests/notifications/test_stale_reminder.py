"""A reminder to a requester ("your answer is still needed") that falls due at night waits
for the queue's business hours. If by then the ticket no longer waits on them (they answered
overnight, it was resolved, cancelled...) or a new wait began, it is not sent: it would ask
for an answer already given and name a closing date that no longer holds. It is filed
'withdrawn' with its reason, as a held staff e-mail that is no longer news."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.notifications.models import Channel, DeliveryStatus, NotificationEvent
from desk.notifications.reminders import send_waiting_reminders
from desk.tickets.history import apply_status
from desk.tickets.models import Status
from desk.tickets.services import add_requester_comment
from desk.tickets.workflow import Actor
from tests.notifications.helpers import deliver_all, rows, submit
from tests.notifications.test_schedule import _calendar, paris
from tests.support.factories import make_queue, make_user

E = NotificationEvent
S = DeliveryStatus
# Thursday night: three business days later (Fri, Mon, Tue) is Tuesday night, when the
# reminder falls due and waits for Wednesday 08:00.
SINCE = paris(2026, 11, 26, 22, 0)
NIGHT = paris(2026, 12, 1, 22, 30)


@pytest.fixture
def office(db, app, clock):
    app.config["WAITING_REMINDER_DAYS"], app.config["WAITING_AUTOCLOSE_DAYS"] = 3, 7
    queue = make_queue()
    queue.calendar = _calendar("Bureau", [["08:00", "18:00"]])
    db.session.commit()
    tech = make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    requester = make_user("claire@umontpellier.fr", locale="en")
    clock(NIGHT)
    return queue, tech, requester


def _waiting(queue, tech, requester, subject: str, since: dt.datetime = SINCE):
    ticket = submit(requester, queue=queue, subject=subject)
    ticket.assignee = tech
    apply_status(ticket, Status.IN_PROGRESS, tech, Actor.STAFF, at=since)
    apply_status(ticket, Status.WAITING_ON_REQUESTER, tech, Actor.STAFF, at=since)
    db.session.commit()
    return ticket


def _reminder(ticket):
    (row,) = rows(Channel.EMAIL, ticket_id=ticket.id, event=E.REMINDER)
    return row


def test_a_held_reminder_no_longer_true_in_the_morning_is_withdrawn(office, smtp):
    queue, tech, requester = office
    answered = _waiting(queue, tech, requester, "Answered overnight")
    resolved = _waiting(queue, tech, requester, "Resolved overnight")
    again = _waiting(queue, tech, requester, "Waiting again")
    still = _waiting(queue, tech, requester, "Still waiting")
    assert send_waiting_reminders(now=NIGHT) == 4
    for ticket in (answered, resolved, again, still):
        assert _reminder(ticket).next_attempt_at > NIGHT  # held for Wednesday 08:00

    add_requester_comment(answered, requester, "Here is the serial number")
    apply_status(resolved, Status.RESOLVED, tech, Actor.STAFF)
    # Answered, then asked something else: a new wait, with its own reminder and closing date.
    apply_status(again, Status.IN_PROGRESS, tech, Actor.STAFF, at=NIGHT)
    apply_status(again, Status.WAITING_ON_REQUESTER, tech, Actor.STAFF, at=NIGHT)
    db.session.commit()

    deliver_all()  # Wednesday 08:00 has come (the clock's night is in the past)

    for ticket, reason in (
        (answered, "not sent: the ticket no longer waited on its requester (in_progress)"),
        (resolved, "not sent: the ticket no longer waited on its requester (resolved)"),
        (again, "not sent: a new wait on the requester began before the business hours"),
    ):
        row = _reminder(ticket)
        assert (row.status, row.last_error, row.sent_at) == (S.WITHDRAWN, reason, None)
    assert _reminder(still).status is S.SENT
    # The requester (in English) gets that one reminder, and no other.
    reminders = [
        m for m in smtp.to(requester.email) if "Your answer is still needed" in m["Subject"]
    ]
    assert [" ".join(m["Subject"].split()) for m in reminders] == [
        f"[{still.reference}] Your answer is still needed: Still waiting"
    ]
