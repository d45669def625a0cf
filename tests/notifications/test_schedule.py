"""Quiet hours (the queue's SLA calendar), SLA recipients, reminders and auto-close."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from desk.auth.models import Role
from desk.extensions import db
from desk.notifications import reminders
from desk.notifications.content import render_email
from desk.notifications.models import Channel, DeliveryStatus, NotificationEvent
from desk.sla.models import SlaCalendar, SlaEventKind
from desk.sla.signals import sla_breached, sla_warning
from desk.tickets.history import apply_status
from desk.tickets.models import Status
from desk.tickets.workflow import Actor
from tests.notifications.helpers import assign, rows, submit
from tests.support.factories import make_queue, make_user
from tests.support.sql import statements_sent

E = NotificationEvent
PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS).astimezone(dt.UTC)


def _calendar(name: str, hours: list[list[str]], days=range(5)) -> SlaCalendar:
    calendar = SlaCalendar(
        name=name,
        timezone="Europe/Paris",
        weekly_hours={str(d): hours for d in days},
        holidays=["2026-12-25"],
    )
    db.session.add(calendar)
    db.session.commit()
    return calendar


def _staffed_ticket(calendar: SlaCalendar | None):
    queue = make_queue()
    queue.calendar = calendar
    db.session.commit()
    requester = make_user()
    lead = make_user(role=Role.TECHNICIAN, queues=(queue,), leads=(queue,))
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    make_user(role=Role.TECHNICIAN, queues=(queue,))  # a plain member: not alerted
    ticket = submit(requester, queue=queue)
    assign(ticket, tech, actor=lead)
    db.session.commit()
    return ticket, lead, tech


def test_warning_at_night_waits_for_the_next_opening(db, clock):
    ticket, lead, tech = _staffed_ticket(_calendar("Ouvré", [["08:00", "17:00"]]))
    night = paris(2026, 12, 1, 22, 0)  # a Tuesday
    clock(night)
    sla_warning.send(ticket, kind=SlaEventKind.RESOLUTION_WARNING, due_at=night)
    db.session.commit()
    emails = rows(Channel.EMAIL, event=E.SLA_WARNING)
    assert sorted(r.recipient_id for r in emails) == sorted([lead.id, tech.id])
    assert {r.next_attempt_at for r in emails} == {paris(2026, 12, 2, 8, 0)}
    assert all(r.status is DeliveryStatus.PENDING for r in emails)
    inapp = rows(Channel.INAPP, event=E.SLA_WARNING)
    assert len(inapp) == 2 and all(r.status is DeliveryStatus.SENT for r in inapp)


def test_friday_evening_warning_waits_for_monday_and_skips_holidays(db, clock):
    ticket, _lead, _tech = _staffed_ticket(_calendar("Ouvré", [["08:00", "17:00"]]))
    clock(paris(2026, 12, 24, 18, 0))  # Thursday evening; Friday 25 is Christmas
    sla_warning.send(
        ticket, kind=SlaEventKind.FIRST_RESPONSE_WARNING, due_at=paris(2026, 12, 24, 18, 0)
    )
    db.session.commit()
    assert {r.next_attempt_at for r in rows(Channel.EMAIL, event=E.SLA_WARNING)} == {
        paris(2026, 12, 28, 8, 0)
    }


def test_breach_of_a_round_the_clock_queue_is_sent_at_once(db, clock):
    ticket, lead, tech = _staffed_ticket(_calendar("24/7", [["00:00", "24:00"]], range(7)))
    sunday_night = paris(2026, 12, 6, 3, 0)
    clock(sunday_night)
    sla_breached.send(ticket, kind=SlaEventKind.RESOLUTION_BREACH, due_at=sunday_night)
    db.session.commit()
    emails = rows(Channel.EMAIL, event=E.SLA_BREACHED)
    assert sorted(r.recipient_id for r in emails) == sorted([lead.id, tech.id])
    assert {r.next_attempt_at for r in emails} == {sunday_night}


def test_queue_without_calendar_is_never_quiet(db, clock):
    ticket, _lead, _tech = _staffed_ticket(None)
    night = paris(2026, 12, 1, 23, 30)
    clock(night)
    sla_warning.send(ticket, kind=SlaEventKind.RESOLUTION_WARNING, due_at=night)
    db.session.commit()
    assert {r.next_attempt_at for r in rows(Channel.EMAIL, event=E.SLA_WARNING)} == {night}


def test_the_same_sla_event_twice_notifies_once(db):
    ticket, _lead, _tech = _staffed_ticket(None)
    due = paris(2026, 12, 1, 10, 0)
    for _ in range(2):  # two sweeps racing, a redelivered task...
        sla_breached.send(ticket, kind=SlaEventKind.RESOLUTION_BREACH, due_at=due)
        db.session.commit()
    assert len(rows(Channel.EMAIL, event=E.SLA_BREACHED)) == 2  # lead + assignee, once each


def test_sla_mail_names_the_deadline(db, app):
    ticket, lead, _tech = _staffed_ticket(None)
    ticket.resolution_due_at = paris(2026, 12, 1, 16, 0)
    db.session.commit()
    sla_warning.send(ticket, kind=SlaEventKind.RESOLUTION_WARNING, due_at=paris(2026, 12, 1, 14))
    db.session.commit()
    row = rows(Channel.EMAIL, event=E.SLA_WARNING, recipient_id=lead.id)[0]
    subject, text, _html = render_email(row.payload, row.id)
    assert subject.startswith(f"[{ticket.reference}] Échéance proche")
    assert "mardi 1er décembre 2026, 16:00" in text
    assert f"/tickets/{ticket.reference}" in text  # staff get the staff page


def _waiting_since(monday: dt.datetime, calendar=None):
    queue = make_queue()
    queue.calendar = calendar
    db.session.commit()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue)
    assign(ticket, tech, actor=tech)
    apply_status(ticket, Status.WAITING_ON_REQUESTER, tech, Actor.STAFF, at=monday)
    db.session.commit()
    return ticket, requester


def test_reminder_after_n_business_days_then_auto_close_after_m(db, app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "WAITING_REMINDER_DAYS", 3)
    monkeypatch.setitem(app.config, "WAITING_AUTOCLOSE_DAYS", 5)
    calendar = _calendar("Ouvré", [["08:00", "17:00"]])
    monday = paris(2026, 11, 30, 10, 0)
    ticket, requester = _waiting_since(monday, calendar)
    clock(paris(2026, 12, 2, 10, 1))
    assert reminders.send_waiting_reminders(now=paris(2026, 12, 2, 10, 1)) == 0  # Wednesday
    thursday = paris(2026, 12, 3, 10, 1)
    clock(thursday)
    assert reminders.send_waiting_reminders(now=thursday) == 1
    assert reminders.send_waiting_reminders(now=thursday) == 0  # beat again: still one
    (reminder,) = rows(Channel.EMAIL, event=E.REMINDER)
    assert reminder.recipient_id == requester.id and reminder.next_attempt_at == thursday
    subject, text, _html = render_email(reminder.payload, reminder.id)
    assert "Votre réponse est toujours attendue :" in subject and subject.count(":") == 1
    assert "lundi 7 décembre 2026, 10:00" in text  # close date
    assert reminders.auto_close_waiting(now=paris(2026, 12, 7, 9, 0)) == 0
    assert reminders.auto_close_waiting(now=paris(2026, 12, 7, 10, 0)) == 1
    db.session.refresh(ticket)
    assert ticket.status is Status.CLOSED
    (closed,) = rows(Channel.EMAIL, event=E.CLOSED)
    assert closed.recipient_id == requester.id and closed.events[0]["automatic"] is True
    assert "faute de réponse" in render_email(closed.payload, closed.id)[1]


def test_reminder_due_on_a_weekend_waits_for_monday_morning(db, app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "WAITING_REMINDER_DAYS", 1)
    calendar = _calendar("Ouvré", [["08:00", "17:00"]])
    _ticket, _requester = _waiting_since(paris(2026, 12, 4, 16, 0), calendar)  # a Friday
    saturday = paris(2026, 12, 5, 11, 0)
    clock(saturday)
    assert reminders.send_waiting_reminders(now=saturday) == 0  # Monday is the 1st day
    monday = paris(2026, 12, 7, 16, 30)
    clock(monday)
    assert reminders.send_waiting_reminders(now=monday) == 1
    (reminder,) = rows(Channel.EMAIL, event=E.REMINDER)
    assert reminder.next_attempt_at == monday
    # Without a calendar the week is Monday–Friday in the display time zone.
    other, _ = _waiting_since(paris(2026, 12, 4, 18, 0))
    late = paris(2026, 12, 7, 18, 0)
    clock(late)
    assert reminders.send_waiting_reminders(now=late) == 1
    assert rows(Channel.EMAIL, event=E.REMINDER)[-1].ticket_id == other.id


def test_reminder_runs_cost_the_same_for_1_or_many_waiting_tickets(db, app, clock, monkeypatch):
    """Beat's reminder run reads the waiting tickets and their reminders in a fixed number of
    queries, however many wait (it was one query per ticket in the reminder window)."""
    monkeypatch.setitem(app.config, "WAITING_REMINDER_DAYS", 3)
    monkeypatch.setitem(app.config, "WAITING_AUTOCLOSE_DAYS", 5)
    queue = make_queue()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    monday, thursday = paris(2026, 11, 30, 10, 0), paris(2026, 12, 3, 10, 1)
    clock(thursday)
    costs = []
    for new in (1, 4):  # 1 waiting, then 5
        for _ in range(new):
            ticket = submit(make_user(), queue=queue)
            assign(ticket, tech, actor=tech)
            apply_status(ticket, Status.WAITING_ON_REQUESTER, tech, Actor.STAFF, at=monday)
            db.session.commit()
        # The first run reminds the new ones; the second finds them all reminded.
        assert reminders.send_waiting_reminders(now=thursday) == new
        with statements_sent(db.engine) as sent:
            assert reminders.send_waiting_reminders(now=thursday) == 0
        costs.append(len(sent))
    assert costs[0] == costs[1], costs
    assert len(rows(Channel.EMAIL, event=E.REMINDER)) == 5  # one each, never twice


def test_a_wait_started_again_gets_its_own_reminder(db, app, clock, monkeypatch):
    """The wait counts from the latest change to "waiting": a reminder from an earlier wait
    does not stand for the new one."""
    monkeypatch.setitem(app.config, "WAITING_REMINDER_DAYS", 1)
    monkeypatch.setitem(app.config, "WAITING_AUTOCLOSE_DAYS", 30)
    ticket, _requester = _waiting_since(paris(2026, 11, 30, 10, 0))  # a Monday
    tuesday = paris(2026, 12, 1, 10, 5)
    clock(tuesday)
    assert reminders.send_waiting_reminders(now=tuesday) == 1
    tech = ticket.assignee
    apply_status(ticket, Status.IN_PROGRESS, tech, Actor.STAFF, at=paris(2026, 12, 1, 11, 0))
    apply_status(ticket, Status.WAITING_ON_REQUESTER, tech, Actor.STAFF, at=paris(2026, 12, 1, 12))
    db.session.commit()
    wednesday = paris(2026, 12, 2, 12, 5)
    clock(wednesday)
    assert reminders.send_waiting_reminders(now=wednesday) == 1
    assert reminders.send_waiting_reminders(now=wednesday) == 0
    assert len(rows(Channel.EMAIL, event=E.REMINDER)) == 2
