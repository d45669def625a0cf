"""A finished ticket's outcome is what was true when it finished: a later change of its
policy's targets neither moves its dates nor rewrites whether it met them, in the report or
on its page, and its page counts no time down. A ticket closed or cancelled unresolved after
a deadline had passed stays 'missed' (it was breached, and the report counted it so while it
was open); one finished before has no outcome."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from desk.auth.models import Role, User
from desk.extensions import db
from desk.sla.report import sla_report
from desk.sla.services import policy_for, recompute_open_tickets
from desk.sla.sweep import sweep_sla
from desk.tickets.history import apply_status
from desk.tickets.models import Status, Ticket
from desk.tickets.workflow import Actor
from tests.sla.conftest import new_ticket, paris
from tests.support.factories import make_user

MONDAY = paris(2026, 11, 16, 9, 0)  # network: first answer by 13:00, resolution Wed 09:00


def _totals(now: dt.datetime) -> tuple[int, int, int, int]:
    """(first met, first missed, resolution met, resolution missed) of November, for an admin."""
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN).limit(1))
    total = sla_report(
        admin, dt.date(2026, 11, 1), dt.date(2026, 11, 30), timezone="Europe/Paris", now=now
    )["total"][0]
    return (total.first_met, total.first_missed, total.resolution_met, total.resolution_missed)


def _move(ticket, status, actor, at, side=Actor.STAFF) -> None:
    apply_status(ticket, status, actor, side, at=at)
    db.session.commit()


def _shorten(request_type) -> None:
    """The admin cuts both targets to one business hour; the recompute the save enqueues."""
    policy = policy_for(request_type.id)
    policy.first_response_minutes = policy.resolution_minutes = 60
    db.session.commit()
    recompute_open_tickets(policy_id=policy.id)


def _sla_card(html: str) -> str:
    return html.split('class="card sla', 1)[1].split("</section>", 1)[0]


def test_a_ticket_resolved_on_time_stays_on_time_when_its_target_is_cut(network, technician, login):
    make_user(role=Role.ADMIN)
    ticket = new_ticket(network, MONDAY, status="assigned")
    _move(ticket, Status.IN_PROGRESS, technician, paris(2026, 11, 16, 11, 0))  # answered
    _move(ticket, Status.RESOLVED, technician, paris(2026, 11, 17, 10, 0))
    before = db.session.get(Ticket, ticket.id)
    dates = (before.first_response_due_at, before.resolution_due_at)
    assert _totals(paris(2026, 11, 20, 9, 0)) == (1, 0, 1, 0)

    _shorten(network)  # under one hour it missed both, by a day
    _move(db.session.get(Ticket, ticket.id), Status.CLOSED, technician, paris(2026, 11, 20, 9, 0))
    db.session.expire_all()
    after = db.session.get(Ticket, ticket.id)
    assert (after.first_response_due_at, after.resolution_due_at) == dates
    assert (after.first_response_met, after.resolution_met) == (True, True)
    assert _totals(paris(2026, 11, 30, 9, 0)) == (1, 0, 1, 0)
    card = _sla_card(login(technician).get(f"/tickets/{ticket.reference}").text)
    assert "18/11/2026 09:00" in card and "(dans les délais)" in card
    assert "Temps ouvré restant" not in card and "sla-remaining" not in card
    assert "badge" not in card  # no live state: neither 'on track' nor 'overdue'


def test_a_ticket_cancelled_after_its_deadline_stays_missed(network, technician, login):
    make_user(role=Role.ADMIN)
    late = new_ticket(network, MONDAY, status="assigned")
    early = new_ticket(network, MONDAY, status="assigned")
    # Tuesday 14:00: both first answers are overdue since Monday 13:00, the resolutions not.
    assert sweep_sla(paris(2026, 11, 17, 14, 0)) == 4  # two breaches, two warnings
    assert _totals(paris(2026, 11, 17, 14, 0)) == (0, 2, 0, 0)
    _move(early, Status.CANCELLED, early.requester, paris(2026, 11, 17, 14, 0), Actor.REQUESTER)
    # Thursday: the other one's resolution is a day late when it is closed as unneeded.
    assert _totals(paris(2026, 11, 19, 10, 0)) == (0, 2, 0, 1)
    _move(late, Status.CANCELLED, technician, paris(2026, 11, 19, 10, 0))

    _shorten(network)
    db.session.expire_all()
    late, early = db.session.get(Ticket, late.id), db.session.get(Ticket, early.id)
    assert (late.first_response_met, late.resolution_met) == (False, False)
    # Cancelled before its resolution was due: no resolution outcome (nothing to measure).
    assert (early.first_response_met, early.resolution_met) == (False, None)
    # What the report said while they were open, it says once they are finished, for good.
    for now in (paris(2026, 11, 19, 10, 0), paris(2026, 12, 31, 9, 0)):
        assert _totals(now) == (0, 2, 0, 1)
    client = login(technician)
    card = _sla_card(client.get(f"/tickets/{late.reference}").text)
    # Both deadlines late: the first answer's (never given) and the resolution's.
    assert "18/11/2026 09:00" in card and card.count("(en retard)") == 2
    assert "sla-remaining" not in card and "badge" not in card
    card = _sla_card(client.get(f"/tickets/{early.reference}").text)
    assert card.count("(en retard)") == 1 and "répondu" not in card


def test_a_ticket_closed_unanswered_after_waiting_before_its_deadline_has_no_outcome(
    zoom, technician
):
    make_user(role=Role.ADMIN)
    ticket = new_ticket(zoom, MONDAY, status="assigned")  # resolution due Tuesday 09:00
    _move(ticket, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 16, 10, 0))
    # The requester never answers: closed by the system a week later, past the old date.
    _move(ticket, Status.CLOSED, None, paris(2026, 11, 23, 10, 0), Actor.SYSTEM)
    assert db.session.get(Ticket, ticket.id).resolution_met is None
    assert _totals(paris(2026, 11, 30, 9, 0)) == (0, 0, 0, 0)
