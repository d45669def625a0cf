"""A request type's policy removed: its open tickets keep no deadline of it, not even the ones
the sweep recorded; given again, it counts from then. Finished tickets keep their history."""

from __future__ import annotations

from desk.auth.models import Role
from desk.extensions import db
from desk.sla.services import policy_for, recompute_open_tickets
from desk.sla.settings import delete_policy
from desk.sla.state import SlaState, sla_state
from desk.sla.sweep import sweep_sla
from desk.tickets.history import apply_status
from desk.tickets.models import Status, Ticket
from desk.tickets.workflow import Actor
from tests.sla.conftest import add_policy, new_ticket, paris, saved_at
from tests.support.factories import make_user

MONDAY = paris(2026, 11, 16, 9, 0)
AGAIN = paris(2026, 11, 19, 9, 0)  # Thursday: the admin gives the type its policy again
SLA_COLUMNS = (
    "first_response_due_at",
    "first_response_warn_at",
    "resolution_due_at",
    "resolution_warn_at",
    "first_response_met",
    "resolution_met",
)


def _columns(ticket) -> tuple:
    db.session.expire_all()
    fresh = db.session.get(Ticket, ticket.id)
    return tuple(getattr(fresh, column) for column in SLA_COLUMNS)


def test_a_removed_policy_leaves_no_deadline_and_one_given_again_counts_from_then(
    network, workday, technician, login
):
    ticket = new_ticket(network, MONDAY)
    done = new_ticket(network, MONDAY, status="in_progress")
    apply_status(done, Status.RESOLVED, technician, Actor.STAFF, at=paris(2026, 11, 16, 10, 0))
    db.session.commit()
    history = _columns(done)
    assert history[-2:] == (True, True)
    # Tuesday 14:00: the first answer is overdue (Monday 13:00), the resolution due soon.
    assert sweep_sla(paris(2026, 11, 17, 14, 0)) == 2

    delete_policy(policy_for(network.id), actor=make_user(role=Role.ADMIN))
    recompute_open_tickets(request_type_id=network.id)
    # The recorded thresholds went with the policy: no "overdue" on a target it no longer has.
    assert _columns(ticket) == (None,) * 6
    fresh = db.session.get(Ticket, ticket.id)
    assert sla_state(fresh, paris(2026, 11, 18, 10, 0)) is SlaState.NONE
    assert "Niveau de service" not in login(technician).get(f"/tickets/{ticket.reference}").text
    assert sweep_sla(paris(2026, 11, 18, 10, 0)) == 0  # past the old resolution due date too
    assert _columns(done) == history  # a finished ticket keeps what it met

    with saved_at(AGAIN):
        policy = add_policy(network, workday, first=240, resolution=2 * 540)
    recompute_open_tickets(policy_id=policy.id)
    # From Thursday 09:00, not from Monday's creation (past both targets at once).
    fresh = db.session.get(Ticket, ticket.id)
    assert (fresh.first_response_started_at, fresh.resolution_started_at) == (AGAIN, AGAIN)
    assert (fresh.first_response_warn_at, fresh.first_response_due_at) == (
        paris(2026, 11, 19, 12, 0),
        paris(2026, 11, 19, 13, 0),
    )
    assert (fresh.resolution_warn_at, fresh.resolution_due_at) == (
        paris(2026, 11, 20, 13, 30),
        paris(2026, 11, 23, 9, 0),
    )
    assert sweep_sla(paris(2026, 11, 19, 9, 5)) == 0
    # The thresholds recorded under the removed policy do not hold back the new ones.
    assert sweep_sla(paris(2026, 11, 19, 12, 5)) == 1
    assert _columns(done) == history


def test_a_finished_ticket_reopened_after_its_policy_went_is_not_held_to_it(network, technician):
    """Finished, it kept its dates when the policy went (what it met); reopened, it is an
    open ticket of a type with no policy: no date, and the sweep neither warns nor breaches on
    the removed policy's (past by then: 'missed' and its priority raised at once)."""
    done = new_ticket(network, MONDAY, status="in_progress")
    apply_status(done, Status.RESOLVED, technician, Actor.STAFF, at=paris(2026, 11, 16, 10, 0))
    db.session.commit()
    delete_policy(policy_for(network.id), actor=make_user(role=Role.ADMIN))
    recompute_open_tickets(request_type_id=network.id)
    priority = db.session.get(Ticket, done.id).priority

    fresh = db.session.get(Ticket, done.id)
    apply_status(fresh, Status.REOPENED, fresh.requester, Actor.REQUESTER, at=AGAIN)
    db.session.commit()
    reopened = db.session.get(Ticket, done.id)
    assert (reopened.resolution_due_at, reopened.first_response_due_at) == (None, None)
    assert sla_state(reopened, paris(2026, 11, 19, 10, 0)) is SlaState.NONE
    assert sweep_sla(paris(2026, 11, 19, 10, 0)) == 0
    assert db.session.get(Ticket, done.id).priority == priority


def test_a_ticket_finished_without_a_policy_and_reopened_under_one_given_again_counts_from_then(
    network, workday, technician
):
    """Open when the policy went (no dates), resolved meanwhile, the policy given again while
    it was finished (not recomputed): reopened, it is an open ticket under a policy and
    counts a full target from its reopening, as one that was waiting when the policy came."""
    ticket = new_ticket(network, MONDAY, status="in_progress")
    delete_policy(policy_for(network.id), actor=make_user(role=Role.ADMIN))
    recompute_open_tickets(request_type_id=network.id)
    fresh = db.session.get(Ticket, ticket.id)
    apply_status(fresh, Status.RESOLVED, technician, Actor.STAFF, at=paris(2026, 11, 17, 10, 0))
    db.session.commit()
    with saved_at(AGAIN):
        policy = add_policy(network, workday, first=240, resolution=2 * 540)
    assert recompute_open_tickets(policy_id=policy.id) == 0  # finished: left alone

    fresh = db.session.get(Ticket, ticket.id)
    reopened_at = paris(2026, 11, 20, 9, 0)  # Friday
    apply_status(fresh, Status.REOPENED, fresh.requester, Actor.REQUESTER, at=reopened_at)
    db.session.commit()
    fresh = db.session.get(Ticket, ticket.id)
    # Two working days from Friday 09:00; its first answer was given (the resolution).
    assert fresh.resolution_due_at == paris(2026, 11, 24, 9, 0)
    assert fresh.resolution_warn_at == paris(2026, 11, 23, 13, 30)
    assert (fresh.first_response_due_at, fresh.first_response_warn_at) == (None, None)
    assert sla_state(fresh, paris(2026, 11, 20, 10, 0)) is not SlaState.NONE
    assert sweep_sla(paris(2026, 11, 24, 9, 1)) == 1  # its breach, at the new due date
