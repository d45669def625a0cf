"""A target added to a policy a ticket already has counts from when it came, not from the
ticket's creation; a target changed counts its new value from the same start; a target
removed leaves no date of it, not even a threshold the sweep recorded."""

from __future__ import annotations

from sqlalchemy import func, select

from desk.extensions import db
from desk.sla.models import SlaEvent
from desk.sla.services import policy_for, recompute_open_tickets
from desk.sla.state import SlaState, sla_state, sla_state_clause
from desk.sla.sweep import sweep_sla
from desk.tickets.history import apply_status
from desk.tickets.models import Priority, Status, Ticket
from desk.tickets.workflow import Actor
from tests.sla.conftest import add_policy, new_ticket, paris, saved_at
from tests.support.factories import make_request_type, make_user

MONDAY = paris(2026, 11, 16, 9, 0)
ADDED = paris(2026, 11, 18, 10, 0)  # Wednesday: the admin adds a resolution target


def _edit(request_type, at, **targets) -> None:
    """The admin saves the policy's new targets at `at`; the recompute its save enqueues."""
    policy = policy_for(request_type.id)
    with saved_at(at):
        for name, minutes in targets.items():
            setattr(policy, f"{name}_minutes", minutes)
    db.session.commit()
    recompute_open_tickets(policy_id=policy.id)


def _fresh(ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def _move(ticket, status, actor, at, side=Actor.STAFF) -> None:
    apply_status(ticket, status, actor, side, at=at)
    db.session.commit()


def _printer(workday):
    """A request type whose policy promised a first answer only (4 business hours)."""
    printer = make_request_type(slug="printer")
    add_policy(printer, workday, first=240)
    technician = make_user(role="technician", queues=(printer.default_queue,))
    return printer, technician


def test_a_resolution_target_added_counts_from_when_it_came(workday):
    printer, technician = _printer(workday)
    ticket = new_ticket(printer, MONDAY, status="assigned")
    _move(ticket, Status.IN_PROGRESS, technician, paris(2026, 11, 16, 10, 0))  # answered
    assert _fresh(ticket).resolution_started_at is None

    _edit(printer, ADDED, resolution=540)
    ticket = _fresh(ticket)
    assert ticket.resolution_started_at == ADDED
    # From Monday 09:00 it was due Tuesday 09:00: breached and escalated at the next sweep.
    assert ticket.resolution_due_at == paris(2026, 11, 19, 10, 0)
    assert ticket.resolution_warn_at == paris(2026, 11, 18, 16, 45)
    # The first answer's target, which it already had, still counts from the creation.
    assert ticket.first_response_started_at == MONDAY
    assert ticket.first_response_due_at == paris(2026, 11, 16, 13, 0)
    assert sweep_sla(paris(2026, 11, 18, 10, 5)) == 0
    assert db.session.scalar(select(func.count()).select_from(SlaEvent)) == 0
    assert _fresh(ticket).priority == Priority.NORMAL
    assert sla_state(_fresh(ticket), paris(2026, 11, 18, 10, 5)) is SlaState.ON_TRACK
    breached = sla_state_clause(SlaState.BREACHED, paris(2026, 11, 18, 10, 5))
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(breached)) == 0

    # Lengthened, shortened: the new value, from the same start (not from the change).
    _edit(printer, paris(2026, 11, 18, 11, 0), resolution=2 * 540)
    assert _fresh(ticket).resolution_due_at == paris(2026, 11, 20, 10, 0)
    _edit(printer, paris(2026, 11, 18, 12, 0), resolution=60)
    assert _fresh(ticket).resolution_due_at == paris(2026, 11, 18, 11, 0)
    # Past its new due date: missed once, at the next sweep, by the new promise.
    assert sweep_sla(paris(2026, 11, 18, 12, 1)) == 1
    assert _fresh(ticket).priority == Priority.HIGH

    # Removed: no date of it, the recorded breach included; given again, from then.
    _edit(printer, paris(2026, 11, 19, 9, 0), resolution=None)
    ticket = _fresh(ticket)
    assert (ticket.resolution_due_at, ticket.resolution_warn_at) == (None, None)
    assert ticket.resolution_started_at is None
    assert sla_state(ticket, paris(2026, 11, 19, 9, 5)) is SlaState.NONE
    _edit(printer, paris(2026, 11, 23, 9, 0), resolution=540)
    ticket = _fresh(ticket)
    assert ticket.resolution_started_at == paris(2026, 11, 23, 9, 0)
    assert ticket.resolution_due_at == paris(2026, 11, 24, 9, 0)
    assert sweep_sla(paris(2026, 11, 23, 9, 5)) == 0


def test_a_first_response_target_removed_takes_its_recorded_breach_with_it(
    network, technician, workday
):
    ticket = new_ticket(network, MONDAY)
    assert sweep_sla(paris(2026, 11, 16, 13, 1)) == 1  # the first answer missed
    assert sla_state(_fresh(ticket), paris(2026, 11, 16, 14, 0)) is SlaState.BREACHED

    _edit(network, paris(2026, 11, 16, 14, 0), first_response=None)
    ticket = _fresh(ticket)
    assert (ticket.first_response_due_at, ticket.first_response_warn_at) == (None, None)
    assert (ticket.first_response_started_at, ticket.first_response_met) == (None, None)
    # Its resolution runs on, from the creation: two working days, due Wednesday 09:00.
    assert ticket.resolution_due_at == paris(2026, 11, 18, 9, 0)
    assert sla_state(ticket, paris(2026, 11, 16, 14, 0)) is SlaState.ON_TRACK
    assert sweep_sla(paris(2026, 11, 16, 14, 1)) == 0

    # Given again before anyone answered: four business hours from then.
    _edit(network, paris(2026, 11, 17, 9, 0), first_response=240)
    ticket = _fresh(ticket)
    assert ticket.first_response_started_at == paris(2026, 11, 17, 9, 0)
    assert ticket.first_response_due_at == paris(2026, 11, 17, 13, 0)
    assert ticket.resolution_due_at == paris(2026, 11, 18, 9, 0)


def test_a_first_response_target_added_once_answered_has_nothing_to_measure(workday):
    zoom = make_request_type(slug="zoom-licence")
    add_policy(zoom, workday, resolution=540)
    technician = make_user(role="technician", queues=(zoom.default_queue,))
    ticket = new_ticket(zoom, MONDAY, status="assigned")
    _move(ticket, Status.IN_PROGRESS, technician, paris(2026, 11, 16, 9, 30))
    _edit(zoom, ADDED, first_response=60)
    ticket = _fresh(ticket)
    assert (ticket.first_response_due_at, ticket.first_response_started_at) == (None, None)
    assert ticket.resolution_due_at == paris(2026, 11, 17, 9, 0)  # from creation, as before


def test_a_target_added_while_the_ticket_waited_counts_fully_once_it_resumes(workday):
    printer, technician = _printer(workday)
    ticket = new_ticket(printer, MONDAY, status="in_progress")
    _move(ticket, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 17, 10, 0))
    _edit(printer, ADDED, resolution=540)
    ticket = _fresh(ticket)
    _move(ticket, Status.IN_PROGRESS, ticket.requester, paris(2026, 11, 19, 9, 0), Actor.REQUESTER)
    # A full working day after the requester's answer (Thursday 09:00).
    assert _fresh(ticket).resolution_due_at == paris(2026, 11, 20, 9, 0)
    assert sweep_sla(paris(2026, 11, 19, 9, 5)) == 0


def test_a_target_added_while_the_ticket_was_finished_counts_from_its_reopening(workday):
    """Finished tickets are not recomputed: reopened, it gets the target it never had from
    the reopening, and a later recompute (a calendar change) keeps that start."""
    printer, technician = _printer(workday)
    ticket = new_ticket(printer, MONDAY, status="in_progress")
    _move(ticket, Status.RESOLVED, technician, paris(2026, 11, 16, 10, 0))
    _edit(printer, ADDED, resolution=540)
    assert _fresh(ticket).resolution_due_at is None

    ticket = _fresh(ticket)
    reopened = paris(2026, 11, 19, 9, 0)
    _move(ticket, Status.REOPENED, ticket.requester, reopened, Actor.REQUESTER)
    ticket = _fresh(ticket)
    assert ticket.resolution_started_at == reopened
    assert ticket.resolution_due_at == paris(2026, 11, 20, 9, 0)
    recompute_open_tickets(calendar_id=workday.id)
    assert _fresh(ticket).resolution_due_at == paris(2026, 11, 20, 9, 0)
    assert sweep_sla(paris(2026, 11, 19, 9, 5)) == 0


def test_a_target_removed_while_the_ticket_was_finished_is_gone_when_it_reopens(
    network, technician
):
    ticket = new_ticket(network, MONDAY, status="in_progress")
    _move(ticket, Status.RESOLVED, technician, paris(2026, 11, 16, 10, 0))
    _edit(network, ADDED, resolution=None)
    ticket = _fresh(ticket)
    _move(ticket, Status.REOPENED, ticket.requester, paris(2026, 11, 30, 9, 0), Actor.REQUESTER)
    ticket = _fresh(ticket)
    assert (ticket.resolution_due_at, ticket.resolution_started_at) == (None, None)
    # Past the removed target's due date (Wednesday 18th): neither missed nor escalated.
    assert sweep_sla(paris(2026, 11, 30, 9, 5)) == 0
