"""Staff actions on a ticket: each records history, refuses bad input without changing anything,
and refuses a stale version with the name and time of the change it would overwrite."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desk.auth.models import Role
from desk.extensions import db as _db
from desk.tickets.actions import (
    ActionError,
    Conflict,
    add_note,
    add_reply,
    assign_ticket,
    bulk_apply,
    change_status,
    claim_ticket,
    set_priority,
    transfer_ticket,
)
from desk.tickets.models import EventKind, Status, Ticket, TicketEvent
from desk.tickets.signals import ticket_changed, ticket_replied
from tests.support.factories import make_queue, make_ticket, make_user


@pytest.fixture
def team(db):
    queue = make_queue()
    other = make_queue(queue.domain)
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,), name="Karim Benali")
    mate = make_user(role=Role.TECHNICIAN, queues=(queue, other), name="Sophie Durand")
    outsider = make_user(role=Role.TECHNICIAN, queues=(other,), name="Anne Roux")
    admin = make_user(role=Role.ADMIN, name="Admin Desk")
    return {
        "queue": queue,
        "other": other,
        "tech": tech,
        "mate": mate,
        "outsider": outsider,
        "admin": admin,
    }


def _changes(ticket):
    events = _db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.CHANGE)
        .order_by(TicketEvent.id)
    )
    return [(e.field, e.old_value, e.new_value, e.actor_id) for e in events]


def test_claim_assigns_to_the_actor_and_moves_new_to_assigned(team):
    ticket = make_ticket(queue=team["queue"])
    claim_ticket(ticket, actor=team["tech"], expected_version=ticket.version)
    _db.session.expire_all()
    ticket = _db.session.get(Ticket, ticket.id)
    assert ticket.assignee_id == team["tech"].id
    assert ticket.status is Status.ASSIGNED
    assert ticket.version == 2
    assert ticket.updated_by_id == team["tech"].id
    tech_id = team["tech"].id
    assert _changes(ticket) == [
        ("assignee_id", None, str(tech_id), tech_id),
        ("status", "new", "assigned", tech_id),
    ]


def test_one_signal_per_action_with_every_changed_field(team):
    ticket = make_ticket(queue=team["queue"])
    seen = []

    def listener(sender, **kw):
        seen.append((sender.reference, dict(kw["changes"])))

    with ticket_changed.connected_to(listener):
        assign_ticket(ticket, team["mate"], actor=team["tech"])
    assert seen == [
        (
            ticket.reference,
            {"assignee_id": (None, team["mate"].id), "status": (Status.NEW, Status.ASSIGNED)},
        )
    ]


def test_assignee_must_be_a_member_of_the_queue(team):
    ticket = make_ticket(queue=team["queue"])
    with pytest.raises(ActionError) as err:
        assign_ticket(ticket, team["outsider"], actor=team["tech"])
    assert err.value.field == "assignee"
    assert "n’est pas membre" in err.value.message or "not a member" in err.value.message
    _db.session.expire_all()
    ticket = _db.session.get(Ticket, ticket.id)
    assert ticket.assignee_id is None and ticket.version == 1
    assert _changes(ticket) == []


def test_requester_and_deactivated_users_are_not_assignable(team):
    ticket = make_ticket(queue=team["queue"])
    with pytest.raises(ActionError):
        assign_ticket(ticket, ticket.requester, actor=team["tech"])
    gone = make_user(role=Role.TECHNICIAN, queues=(team["queue"],), is_active=False)
    with pytest.raises(ActionError):
        assign_ticket(ticket, gone, actor=team["tech"])
    with pytest.raises(ActionError):
        assign_ticket(ticket, None, actor=team["tech"])


def test_technician_of_another_queue_may_not_act(team):
    ticket = make_ticket(queue=team["queue"])
    with pytest.raises(ActionError):
        claim_ticket(ticket, actor=team["outsider"])
    with pytest.raises(ActionError):
        add_note(ticket, "hello", actor=ticket.requester)


def test_admin_may_claim_any_ticket(team):
    ticket = make_ticket(queue=team["queue"])
    claim_ticket(ticket, actor=team["admin"])
    assert ticket.assignee_id == team["admin"].id


def test_stale_version_is_a_conflict_naming_who_and_when(team):
    ticket = make_ticket(queue=team["queue"])
    set_priority(ticket, 3, actor=team["mate"], expected_version=1)
    with pytest.raises(Conflict) as err:
        claim_ticket(ticket, actor=team["tech"], expected_version=1)
    assert err.value.by.id == team["mate"].id
    assert "Sophie Durand" in err.value.message
    assert "rechargez la page" in err.value.message
    _db.session.expire_all()
    assert _db.session.get(Ticket, ticket.id).assignee_id is None


def test_transfer_records_the_reason_and_drops_an_assignee_outside_the_new_queue(team):
    ticket = make_ticket(queue=team["queue"], assignee=team["tech"], status="in_progress")
    transfer_ticket(
        ticket,
        team["other"],
        reason="  Câblage : équipe réseau  ",
        actor=team["tech"],
        expected_version=1,
    )
    _db.session.expire_all()
    ticket = _db.session.get(Ticket, ticket.id)
    assert ticket.queue_id == team["other"].id
    assert ticket.assignee_id is None
    assert ticket.status is Status.IN_PROGRESS
    events = _db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.field == "queue_id"
        )
    ).all()
    assert events[0].body == "Câblage : équipe réseau"
    assert not events[0].is_internal


def test_transfer_keeps_an_assignee_who_is_member_of_both(team):
    ticket = make_ticket(queue=team["queue"], assignee=team["mate"], status="assigned")
    transfer_ticket(ticket, team["other"], reason="Mieux placé", actor=team["tech"])
    assert ticket.assignee_id == team["mate"].id


@pytest.mark.parametrize(
    "queue_key, reason, field",
    [
        (None, "why", "queue"),
        ("queue", "why", "queue"),
        ("other", "  ", "reason"),
        ("other", "x" * 501, "reason"),
    ],
)
def test_transfer_refusals_change_nothing(team, queue_key, reason, field):
    ticket = make_ticket(queue=team["queue"])
    target = team[queue_key] if queue_key else None
    with pytest.raises(ActionError) as err:
        transfer_ticket(ticket, target, reason=reason, actor=team["tech"])
    assert err.value.field == field
    _db.session.expire_all()
    assert _db.session.get(Ticket, ticket.id).queue_id == team["queue"].id


def test_transfer_to_a_closed_queue_is_refused(team):
    team["other"].is_active = False
    _db.session.commit()
    ticket = make_ticket(queue=team["queue"])
    with pytest.raises(ActionError, match="Cette file est fermée"):
        transfer_ticket(ticket, team["other"], reason="why", actor=team["tech"])


def test_priority(team):
    ticket = make_ticket(queue=team["queue"])
    set_priority(ticket, "4", actor=team["tech"])
    assert ticket.priority == 4
    for bad in ("9", "x", None, 4):
        with pytest.raises(ActionError):
            set_priority(ticket, bad, actor=team["tech"])
    assert _changes(ticket) == [("priority", "2", "4", team["tech"].id)]


def test_the_workflow_to_resolution(team):
    ticket = make_ticket(queue=team["queue"])
    tech = team["tech"]
    change_status(ticket, "in_progress", actor=tech)
    assert ticket.assignee_id == tech.id  # taking it in hand assigns it
    assert ticket.first_responded_at is not None
    change_status(ticket, Status.WAITING_ON_REQUESTER, actor=tech)
    change_status(ticket, "resolved", note="Borne redémarrée.", actor=tech)
    assert ticket.status is Status.RESOLVED and ticket.resolved_at is not None
    change_status(ticket, "closed", actor=tech)
    assert [c[:3] for c in _changes(ticket) if c[0] == "status"] == [
        ("status", "new", "in_progress"),
        ("status", "in_progress", "waiting_on_requester"),
        ("status", "waiting_on_requester", "resolved"),
        ("status", "resolved", "closed"),
    ]


@pytest.mark.parametrize(
    "start, target",
    [
        ("new", "resolved"),
        ("closed", "in_progress"),
        ("cancelled", "new"),
        ("new", "new"),
        ("in_progress", "reopened"),
        ("new", "nonsense"),
    ],
)
def test_invalid_transitions_are_refused_with_a_message(team, start, target):
    ticket = make_ticket(queue=team["queue"], status=start)
    with pytest.raises(ActionError) as err:
        change_status(ticket, target, actor=team["tech"])
    assert err.value.field == "status"
    assert err.value.message
    _db.session.expire_all()
    assert _db.session.get(Ticket, ticket.id).status.value == start


def test_finished_tickets_cannot_be_assigned_or_transferred(team):
    ticket = make_ticket(queue=team["queue"], status="closed")
    with pytest.raises(ActionError):
        claim_ticket(ticket, actor=team["tech"])
    with pytest.raises(ActionError):
        transfer_ticket(ticket, team["other"], reason="x", actor=team["tech"])
    with pytest.raises(ActionError):
        add_reply(ticket, "hello", actor=team["tech"])
    add_note(ticket, "Clos suite à l’appel.", actor=team["tech"])  # notes stay possible


def test_reply_is_public_note_is_internal_and_both_signal(team):
    ticket = make_ticket(queue=team["queue"])
    seen = []

    def listener(sender, **kw):
        seen.append((kw["event"].kind, kw["actor"].id))

    with ticket_replied.connected_to(listener):
        reply = add_reply(ticket, "  Bonjour, c’est en cours.  ", actor=team["tech"])
        note = add_note(
            ticket, "Voir avec le fournisseur", actor=team["tech"], expected_version=ticket.version
        )
    assert (reply.kind, reply.is_internal, reply.body) == (
        EventKind.REPLY,
        False,
        "Bonjour, c’est en cours.",
    )
    assert (note.kind, note.is_internal) == (EventKind.NOTE, True)
    assert seen == [(EventKind.REPLY, team["tech"].id), (EventKind.NOTE, team["tech"].id)]
    assert ticket.first_responded_at is not None
    assert ticket.version == 3  # each message moves the version


def test_empty_or_huge_messages_are_refused(team):
    ticket = make_ticket(queue=team["queue"])
    for body in ("", "   ", "x" * 10_001):
        with pytest.raises(ActionError) as err:
            add_reply(ticket, body, actor=team["tech"])
        assert err.value.field == "body"
    assert ticket.first_responded_at is None


def test_bulk_reports_changed_and_refused_tickets(team):
    ok = make_ticket(queue=team["queue"])
    done = make_ticket(queue=team["queue"], status="closed")
    stale = make_ticket(queue=team["queue"])
    foreign = make_ticket(queue=team["other"])
    set_priority(stale, 3, actor=team["mate"])
    result = bulk_apply(
        [(ok.id, 1), (done.id, 1), (stale.id, 1), (foreign.id, 1), (999_999, None)],
        lambda t, v: claim_ticket(t, actor=team["tech"], expected_version=v),
        actor=team["tech"],
        queue_id=team["queue"].id,
    )
    assert result.changed == [ok.reference]
    refused = dict(result.refused)
    assert set(refused) == {done.reference, stale.reference, f"#{foreign.id}", "#999999"}
    assert "Sophie Durand" in refused[stale.reference]
    _db.session.expire_all()
    assert _db.session.get(Ticket, done.id).assignee_id is None
    assert _db.session.get(Ticket, foreign.id).assignee_id is None


def test_bulk_needs_a_selection_of_reasonable_size(team):
    with pytest.raises(ActionError):
        bulk_apply([], lambda t, v: None, actor=team["tech"])
    with pytest.raises(ActionError):
        bulk_apply([(i, None) for i in range(1, 102)], lambda t, v: None, actor=team["tech"])


def test_reopening_a_ticket_whose_technician_went_puts_it_back_in_its_queue(team):
    """A colleague reopens a resolved ticket of someone who no longer works the queue: it
    does not stay with them (desk.tickets.actions.return_if_holder_gone)."""
    from desk.core.db import utcnow
    from desk.reference.models import QueueMembership

    ticket = make_ticket(
        queue=team["queue"], status="resolved", assignee=team["tech"], resolved_at=utcnow()
    )
    _db.session.execute(
        QueueMembership.__table__.delete().where(QueueMembership.user_id == team["tech"].id)
    )
    _db.session.commit()
    change_status(ticket, "reopened", actor=team["mate"], expected_version=ticket.version)
    _db.session.expire_all()
    ticket = _db.session.get(Ticket, ticket.id)
    assert ticket.status is Status.REOPENED and ticket.assignee_id is None
    assert ticket.updated_by_id == team["mate"].id  # a later conflict names who reopened it
    tech_id = team["tech"].id
    assert _changes(ticket)[-3:] == [
        ("released", str(tech_id), "left", None),
        ("requeued", None, None, None),  # the requester's line: back in the queue
        ("status", "resolved", "reopened", team["mate"].id),
    ]
    # Still with its technician when they still work the queue.
    kept = make_ticket(
        queue=team["queue"], status="resolved", assignee=team["mate"], resolved_at=utcnow()
    )
    change_status(kept, "reopened", actor=team["mate"], expected_version=kept.version)
    assert _db.session.get(Ticket, kept.id).assignee_id == team["mate"].id
