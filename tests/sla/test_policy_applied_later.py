"""A policy given to a request type that has open tickets counts from then, not from creation."""

from __future__ import annotations

from desk.extensions import db
from desk.sla.models import SlaEvent
from desk.sla.services import policy_for, recompute_open_tickets
from desk.sla.sweep import sweep_sla
from desk.tickets.history import apply_status
from desk.tickets.models import Status
from desk.tickets.workflow import Actor
from tests.sla.conftest import add_policy, new_ticket, paris, saved_at
from tests.support.factories import make_request_type, make_user

MONDAY = paris(2026, 11, 16, 9, 0)
ATTACHED = paris(2026, 11, 18, 10, 0)  # Wednesday: the admin gives the type a policy


def _move(ticket, status, actor, at, side=Actor.STAFF) -> None:
    apply_status(ticket, status, actor, side, at=at)
    db.session.commit()


def _attach(request_type, calendar, **targets):
    """A policy saved onto the type at ATTACHED, then the recompute its save enqueues."""
    with saved_at(ATTACHED):
        policy = add_policy(request_type, calendar, **targets)
    recompute_open_tickets(policy_id=policy.id)
    return policy


def _fresh(ticket):
    db.session.refresh(ticket)
    return ticket


def test_old_tickets_count_from_the_policy_not_from_creation(workday):
    printer = make_request_type(slug="printer")
    old = new_ticket(printer, MONDAY)
    assert old.resolution_due_at is None
    policy = _attach(printer, workday, first=240, resolution=540)
    old = _fresh(old)
    assert (old.first_response_started_at, old.resolution_started_at) == (ATTACHED, ATTACHED)
    assert old.first_response_due_at == paris(2026, 11, 18, 14, 0)
    assert old.resolution_due_at == paris(2026, 11, 19, 10, 0)
    # From creation both were past on Monday evening: the sweep breached them all at once.
    assert sweep_sla(paris(2026, 11, 18, 10, 5)) == 0
    assert db.session.query(SlaEvent).count() == 0
    # A later change of the targets still counts from when the policy came.
    policy.resolution_minutes = 2 * 540
    db.session.commit()
    recompute_open_tickets(policy_id=policy.id)
    assert _fresh(old).resolution_due_at == paris(2026, 11, 20, 10, 0)
    # Removed, then given again: it counts from the new one.
    db.session.delete(policy)
    db.session.commit()
    recompute_open_tickets(request_type_id=printer.id)
    assert _fresh(old).resolution_due_at is None
    assert (old.first_response_started_at, old.resolution_started_at) == (None, None)
    with saved_at(paris(2026, 11, 23, 9, 0)):
        again = add_policy(printer, workday, resolution=540)
    recompute_open_tickets(policy_id=again.id)
    assert _fresh(old).resolution_due_at == paris(2026, 11, 24, 9, 0)


def test_only_the_pauses_after_the_policy_came_are_given_back(workday):
    printer = make_request_type(slug="printer")
    technician = make_user(role="technician", queues=(printer.default_queue,))
    ticket = new_ticket(printer, MONDAY, status="in_progress")
    requester = ticket.requester
    # Waiting on the requester a whole day before the policy, then 4 hours after it.
    _move(ticket, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 16, 10, 0))
    _move(ticket, Status.IN_PROGRESS, requester, paris(2026, 11, 17, 10, 0), Actor.REQUESTER)
    _move(ticket, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 18, 11, 0))
    _move(ticket, Status.IN_PROGRESS, requester, paris(2026, 11, 18, 15, 0), Actor.REQUESTER)
    _attach(printer, workday, resolution=540)
    # 9 business hours from Wednesday 10:00, plus the 4 paused after it.
    assert _fresh(ticket).resolution_due_at == paris(2026, 11, 19, 14, 0)


def test_a_ticket_waiting_when_the_policy_came_counts_once_it_resumes(workday):
    printer = make_request_type(slug="printer")
    technician = make_user(role="technician", queues=(printer.default_queue,))
    ticket = new_ticket(printer, MONDAY, status="in_progress")
    _move(ticket, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 17, 10, 0))
    policy = _attach(printer, workday, resolution=540)
    requester = _fresh(ticket).requester
    _move(ticket, Status.IN_PROGRESS, requester, paris(2026, 11, 19, 10, 0), Actor.REQUESTER)
    assert ticket.resolution_due_at == paris(2026, 11, 20, 10, 0)  # a full target after
    policy_for(printer.id).resolution_minutes = 2 * 540
    db.session.commit()
    recompute_open_tickets(policy_id=policy.id)
    assert _fresh(ticket).resolution_due_at == paris(2026, 11, 23, 10, 0)


def test_a_ticket_that_had_a_policy_keeps_counting_from_creation(zoom):
    ticket = new_ticket(zoom, MONDAY)
    policy = policy_for(zoom.id)
    policy.resolution_minutes = 2 * 540
    db.session.commit()
    recompute_open_tickets(policy_id=policy.id)
    assert _fresh(ticket).resolution_due_at == paris(2026, 11, 18, 9, 0)
    assert ticket.resolution_started_at == MONDAY
