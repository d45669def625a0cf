"""Due dates from policies, the paused clock, first response and resolution outcomes."""

from __future__ import annotations

import datetime as dt

from desk.sla.models import SlaEvent
from desk.sla.services import (
    calendar_for_queue,
    recompute_open_tickets,
    remaining_business_time,
    sla_hint,
    to_calendar,
)
from desk.sla.state import SlaState, sla_state
from desk.tickets.history import apply_status
from desk.tickets.models import EventKind, Status, TicketEvent
from desk.tickets.signals import ticket_replied
from desk.tickets.workflow import Actor
from tests.sla.conftest import add_policy, new_ticket, paris
from tests.support.factories import make_request_type, make_user

H = dt.timedelta(hours=1)


def _move(ticket, status, actor, at, side=Actor.STAFF):
    apply_status(ticket, status, actor, side, at=at)
    from desk.extensions import db

    db.session.commit()


def test_zoom_request_on_friday_1630_is_due_monday_1630(zoom):
    ticket = new_ticket(zoom, paris(2026, 11, 20, 16, 30))  # a Friday
    assert ticket.resolution_due_at == paris(2026, 11, 23, 16, 30)
    # 75 % of 9 business hours: 30 min on Friday, then 6 h 15 on Monday.
    assert ticket.resolution_warn_at == paris(2026, 11, 23, 14, 15)
    assert ticket.first_response_due_at is None


def test_zoom_request_before_a_holiday_monday_is_due_tuesday(zoom):
    ticket = new_ticket(zoom, paris(2026, 5, 22, 16, 30))  # Friday before Whit Monday
    assert ticket.resolution_due_at == paris(2026, 5, 26, 16, 30)


def test_network_incident_targets(network):
    ticket = new_ticket(network, paris(2026, 11, 18, 15, 0))  # Wednesday 15:00
    assert ticket.first_response_due_at == paris(2026, 11, 19, 10, 0)
    assert ticket.resolution_due_at == paris(2026, 11, 20, 15, 0)


def test_request_type_without_policy_has_no_due_dates(db):
    ticket = new_ticket(make_request_type(), paris(2026, 11, 20, 10, 0))
    assert ticket.resolution_due_at is None
    assert sla_state(ticket, paris(2026, 12, 1, 10, 0)) is SlaState.NONE


def test_waiting_on_requester_stops_the_clock_and_pushes_the_due_date(zoom, technician):
    ticket = new_ticket(zoom, paris(2026, 11, 23, 9, 0), status="in_progress")  # Monday
    assert ticket.resolution_due_at == paris(2026, 11, 24, 9, 0)
    _move(ticket, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 23, 11, 0))
    assert ticket.sla_paused_since == paris(2026, 11, 23, 11, 0)
    assert sla_state(ticket, paris(2026, 11, 30, 9, 0)) is SlaState.PAUSED
    assert remaining_business_time(ticket, paris(2026, 11, 25, 9, 0)) == 7 * H
    # The requester answers two business days and 3 hours later (Wednesday 14:00).
    requester = ticket.requester
    _move(ticket, Status.IN_PROGRESS, requester, paris(2026, 11, 25, 14, 0), Actor.REQUESTER)
    assert ticket.sla_paused_since is None
    assert ticket.resolution_due_at == paris(2026, 11, 26, 12, 0)  # 7 business hours later
    assert ticket.resolution_warn_at == paris(2026, 11, 26, 9, 45)
    # Asking the requester was the first response; their answer is not one.
    assert ticket.first_responded_at == paris(2026, 11, 23, 11, 0)


def test_first_response_recorded_once_on_public_reply(db, network, technician):
    ticket = new_ticket(network, paris(2026, 11, 18, 15, 0))
    note = TicketEvent(
        ticket=ticket,
        actor=technician,
        kind=EventKind.NOTE,
        body="internal",
        is_internal=True,
        created_at=paris(2026, 11, 18, 16, 0),
    )
    db.session.add(note)
    ticket_replied.send(ticket, actor=technician, event=note)
    assert ticket.first_responded_at is None
    reply = TicketEvent(
        ticket=ticket,
        actor=technician,
        kind=EventKind.REPLY,
        body="Bonjour",
        created_at=paris(2026, 11, 19, 9, 0),
    )
    ticket_replied.send(ticket, actor=technician, event=reply)
    later = TicketEvent(
        ticket=ticket,
        actor=technician,
        kind=EventKind.REPLY,
        body="Encore",
        created_at=paris(2026, 11, 20, 9, 0),
    )
    ticket_replied.send(ticket, actor=technician, event=later)
    assert ticket.first_responded_at == paris(2026, 11, 19, 9, 0)
    assert ticket.first_response_met is True


def test_asking_the_requester_is_the_first_response(network, technician):
    """A technician who asks the requester something (the ticket waits on their answer, the
    question in the e-mail) has answered: once the requester writes back, the first answer's
    deadline must not come back and be "breached" by the requester's own delay."""
    from desk.sla.sweep import sweep_sla

    ticket = new_ticket(
        network, paris(2026, 11, 18, 15, 0), status="assigned", assignee=technician
    )  # Wednesday 15:00: first answer due Thursday 10:00
    _move(ticket, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 18, 16, 0))
    assert ticket.first_responded_at == paris(2026, 11, 18, 16, 0)
    assert ticket.first_response_met is True
    # The requester answers on Monday; the old first-answer deadline is long past by Tuesday.
    requester = ticket.requester
    _move(ticket, Status.IN_PROGRESS, requester, paris(2026, 11, 23, 9, 0), Actor.REQUESTER)
    assert ticket.first_response_met is True
    assert sweep_sla(paris(2026, 11, 24, 12, 0)) == 0
    assert sla_state(ticket, paris(2026, 11, 24, 12, 0)) is SlaState.ON_TRACK


def test_late_first_response_by_moving_to_in_progress(network, technician):
    ticket = new_ticket(network, paris(2026, 11, 18, 15, 0), status="assigned")
    _move(ticket, Status.IN_PROGRESS, technician, paris(2026, 11, 19, 11, 0))
    assert ticket.first_responded_at == paris(2026, 11, 19, 11, 0)
    assert ticket.first_response_met is False


def test_resolution_outcome_and_reopen(zoom, technician):
    ticket = new_ticket(zoom, paris(2026, 11, 23, 9, 0), status="in_progress")
    _move(ticket, Status.RESOLVED, technician, paris(2026, 11, 23, 17, 0))
    assert ticket.resolution_met is True
    # Reopened Wednesday 10:00: the one business hour left at resolution counts again.
    _move(ticket, Status.REOPENED, ticket.requester, paris(2026, 11, 25, 10, 0), Actor.REQUESTER)
    assert ticket.resolution_met is None
    assert ticket.resolution_due_at == paris(2026, 11, 25, 11, 0)
    _move(ticket, Status.RESOLVED, technician, paris(2026, 11, 25, 15, 0))
    assert ticket.resolution_met is False


def test_resolving_while_waiting_judges_the_time_before_the_pause(zoom, technician):
    ticket = new_ticket(zoom, paris(2026, 11, 23, 9, 0), status="in_progress")
    _move(ticket, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 23, 10, 0))
    _move(ticket, Status.RESOLVED, technician, paris(2026, 12, 2, 10, 0))
    assert ticket.resolution_met is True


def test_changing_the_policy_recomputes_open_tickets_with_their_pauses(zoom, technician):
    ticket = new_ticket(zoom, paris(2026, 11, 23, 9, 0), status="in_progress")
    _move(ticket, Status.WAITING_ON_REQUESTER, technician, paris(2026, 11, 23, 10, 0))
    _move(ticket, Status.IN_PROGRESS, ticket.requester, paris(2026, 11, 24, 10, 0), Actor.REQUESTER)
    assert ticket.resolution_due_at == paris(2026, 11, 25, 9, 0)
    closed = new_ticket(zoom, paris(2026, 11, 23, 9, 0), status="closed")
    from desk.sla.services import policy_for

    policy = policy_for(zoom.id)
    policy.resolution_minutes = 2 * 540
    from desk.extensions import db

    db.session.commit()
    assert recompute_open_tickets(policy_id=policy.id) == 1
    db.session.refresh(ticket)
    db.session.refresh(closed)
    assert ticket.resolution_due_at == paris(2026, 11, 26, 9, 0)  # the 9 paused hours kept
    assert closed.resolution_due_at == paris(2026, 11, 24, 9, 0)  # finished: untouched


def test_recompute_keeps_a_threshold_already_recorded(zoom):
    from desk.extensions import db
    from desk.sla.services import policy_for

    ticket = new_ticket(zoom, paris(2026, 11, 23, 9, 0))
    db.session.add(
        SlaEvent(ticket_id=ticket.id, kind="resolution_warning", due_at=ticket.resolution_warn_at)
    )
    db.session.commit()
    warned = ticket.resolution_warn_at
    policy_for(zoom.id).resolution_minutes = 1080
    db.session.commit()
    recompute_open_tickets(calendar_id=policy_for(zoom.id).calendar_id)
    db.session.refresh(ticket)
    assert ticket.resolution_warn_at == warned
    assert ticket.resolution_due_at == paris(2026, 11, 25, 9, 0)


def test_sla_hint_in_french(zoom, network):
    assert sla_hint(zoom) == "Traitement sous 1 jour ouvré"
    assert sla_hint(network) == "Traitement sous 2 jours ouvrés"
    assert sla_hint(make_request_type()) == ""


def test_sla_hint_first_response_only(workday):
    rt = make_request_type()
    add_policy(rt, workday, first=240)
    assert sla_hint(rt) == "Première réponse sous 4 heures ouvrées"


def test_calendar_for_queue_and_cache(workday, db):
    rt = make_request_type()
    queue = rt.default_queue
    assert calendar_for_queue(queue) is None
    queue.calendar = workday
    db.session.commit()
    engine = calendar_for_queue(queue)
    assert engine is to_calendar(workday)
    assert engine.is_open(paris(2026, 11, 23, 9, 0))
    assert not engine.is_open(paris(2026, 12, 25, 9, 0))
    workday.weekly_hours = {"0": [["10:00", "11:00"]]}
    db.session.commit()
    assert not to_calendar(workday).is_open(paris(2026, 11, 23, 9, 0))  # edits never stale


def test_remaining_business_time_runs_negative_once_overdue(zoom):
    ticket = new_ticket(zoom, paris(2026, 11, 20, 16, 30))
    assert remaining_business_time(ticket, paris(2026, 11, 23, 8, 0)) == 8.5 * H
    assert remaining_business_time(ticket, paris(2026, 11, 23, 17, 0)) == -0.5 * H


def test_requester_cannot_make_the_first_response(network):
    requester = make_user()
    ticket = new_ticket(
        network,
        paris(2026, 11, 18, 15, 0),
        requester=requester,
        status="waiting_on_requester",
        sla_paused_since=paris(2026, 11, 18, 16, 0),
    )
    _move(ticket, Status.IN_PROGRESS, requester, paris(2026, 11, 19, 9, 0), Actor.REQUESTER)
    assert ticket.first_responded_at is None


# --- a settings change recomputes while people and the sweep act on the same tickets ---


def _needs_postgresql() -> None:
    import pytest

    from desk.extensions import db

    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")


def _before_first_write(action):
    """Run `action` once, just before the recompute's first write (its first flush)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    event.listen(Session, "before_flush", lambda *_args: action(), once=True)


def test_a_ticket_changed_during_the_recompute_does_not_undo_the_others(app, zoom):
    """A technician's change committed while the recompute runs made its single commit fail
    (the ticket's version had moved): no open ticket got the new due dates."""
    _needs_postgresql()
    from sqlalchemy import text

    from desk.extensions import db
    from desk.sla.services import policy_for

    first = new_ticket(zoom, paris(2026, 11, 23, 9, 0))
    last = new_ticket(zoom, paris(2026, 11, 23, 9, 0))
    policy = policy_for(zoom.id)
    policy.resolution_minutes = 2 * 540
    db.session.commit()

    def technician_saves_last() -> None:
        with db.engine.begin() as other:
            other.execute(
                text("UPDATE ticket SET version = version + 1, priority = 3 WHERE id = :id"),
                {"id": last.id},
            )

    _before_first_write(technician_saves_last)
    assert recompute_open_tickets(policy_id=policy.id) == 2
    db.session.expire_all()
    assert first.resolution_due_at == paris(2026, 11, 25, 9, 0)
    assert last.resolution_due_at == paris(2026, 11, 25, 9, 0)
    assert last.priority == 3  # the technician's change stays


def test_a_warning_recorded_during_the_recompute_is_not_sent_again(app, zoom):
    """The sweep recording a warning while the recompute moved that threshold later: the
    ticket was warned at the old time and again at the new one."""
    _needs_postgresql()
    import threading

    from sqlalchemy import select

    from desk.extensions import db
    from desk.sla.services import policy_for
    from desk.sla.sweep import sweep_sla

    # Due Tuesday 09:00, warned Monday 15:45; with two days, due Wednesday, warned Tuesday 13:30.
    ticket = new_ticket(zoom, paris(2026, 11, 23, 9, 0))
    policy = policy_for(zoom.id)
    policy.resolution_minutes = 2 * 540
    db.session.commit()
    errors: list[BaseException] = []

    def sweep_at_1600() -> None:
        try:
            with app.app_context():
                sweep_sla(paris(2026, 11, 23, 16, 0))
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    sweeper = threading.Thread(target=sweep_at_1600)

    def sweep_meanwhile() -> None:
        sweeper.start()
        sweeper.join(2)  # it may have to wait for the recompute's lock on the ticket

    _before_first_write(sweep_meanwhile)
    recompute_open_tickets(policy_id=policy.id)
    sweeper.join(30)
    assert errors == []
    sweep_sla(paris(2026, 11, 24, 14, 0))
    warnings = list(
        db.session.scalars(
            select(SlaEvent.kind).where(
                SlaEvent.ticket_id == ticket.id, SlaEvent.kind == "resolution_warning"
            )
        )
    )
    assert warnings == ["resolution_warning"]
    db.session.expire_all()
    assert ticket.resolution_due_at == paris(2026, 11, 25, 9, 0)
