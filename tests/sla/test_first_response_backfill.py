"""The data migration e4a1b7c2d9f0: tickets staff put on 'waiting on the requester' before
that move counted as the first response get it from their history, as the code would have
recorded it; nothing else is touched."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import update

from desk.extensions import db
from desk.sla.state import SlaState, sla_state
from desk.tickets.history import apply_status
from desk.tickets.models import Status, Ticket
from desk.tickets.workflow import Actor
from tests.sla.conftest import new_ticket, paris

MIGRATION = next(
    (Path(__file__).parents[2] / "migrations" / "versions").glob("*_e4a1b7c2d9f0_*.py")
)


def _run_upgrade() -> None:
    spec = importlib.util.spec_from_file_location("backfill", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    db.session.commit()
    with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()
    db.session.expire_all()


def _as_before_the_fix(*tickets: Ticket) -> None:
    """What a move to waiting left before 7056f51: no first response at all."""
    db.session.execute(
        update(Ticket)
        .where(Ticket.id.in_([t.id for t in tickets]))
        .values(first_responded_at=None, first_response_met=None)
    )
    db.session.commit()


def _move(ticket, status, actor, at, side=Actor.STAFF):
    apply_status(ticket, status, actor, side, at=at)
    db.session.commit()


def test_the_first_move_to_waiting_becomes_the_first_response(network, technician):
    # Wednesday 15:00: first answer due Thursday 10:00.
    on_time = new_ticket(network, paris(2026, 11, 18, 15, 0), status="assigned")
    late = new_ticket(network, paris(2026, 11, 18, 15, 0), status="assigned")
    for ticket, asked in ((on_time, paris(2026, 11, 18, 16, 0)), (late, paris(2026, 11, 19, 11))):
        _move(ticket, Status.WAITING_ON_REQUESTER, technician, asked)
        # The requester answers on Monday; asked again the next day (not the first move).
        _move(ticket, Status.IN_PROGRESS, ticket.requester, paris(2026, 11, 23, 9), Actor.REQUESTER)
        _move(ticket, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 24, 9))
        back = paris(2026, 11, 24, 10)
        _move(ticket, Status.IN_PROGRESS, ticket.requester, back, Actor.REQUESTER)
    _as_before_the_fix(on_time, late)
    assert sla_state(on_time, paris(2026, 11, 24, 12)) is SlaState.BREACHED  # the old harm

    _run_upgrade()

    assert on_time.first_responded_at == paris(2026, 11, 18, 16, 0)
    assert on_time.first_response_met is True
    assert sla_state(on_time, paris(2026, 11, 24, 12)) is SlaState.ON_TRACK
    assert late.first_responded_at == paris(2026, 11, 19, 11, 0)
    assert late.first_response_met is False


def test_tickets_never_put_on_waiting_or_already_answered_are_left_alone(network, technician):
    unanswered = new_ticket(network, paris(2026, 11, 18, 15, 0), status="assigned")
    answered = new_ticket(network, paris(2026, 11, 18, 15, 0), status="assigned")
    _move(answered, Status.IN_PROGRESS, technician, paris(2026, 11, 18, 15, 30))
    _move(answered, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 18, 16, 0))
    # A breach the sweep already decided stays decided (a crossed threshold is final).
    decided = new_ticket(network, paris(2026, 11, 18, 15, 0), status="assigned")
    _move(decided, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 18, 16, 0))
    db.session.execute(
        update(Ticket)
        .where(Ticket.id == decided.id)
        .values(first_responded_at=None, first_response_met=False)
    )
    db.session.commit()

    _run_upgrade()

    assert unanswered.first_responded_at is None
    assert unanswered.first_response_met is None
    assert answered.first_responded_at == paris(2026, 11, 18, 15, 30)
    assert decided.first_responded_at == paris(2026, 11, 18, 16, 0)
    assert decided.first_response_met is False
