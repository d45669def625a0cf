"""The outbox: rows written in the ticket's transaction, one message per recipient, no self-news."""

from __future__ import annotations

from desk.auth.models import Role
from desk.notifications.models import Channel, DeliveryStatus, NotificationEvent
from desk.tickets.history import apply_status
from desk.tickets.models import EventKind, Status
from desk.tickets.workflow import Actor
from tests.notifications.helpers import assign, rows, submit, transfer, write
from tests.support.factories import make_queue, make_user

E = NotificationEvent


def test_submission_writes_the_acknowledgement_in_the_same_transaction(db):
    requester = make_user()
    ticket = submit(requester)
    (email,) = rows(Channel.EMAIL)
    assert (email.event, email.recipient_id, email.ticket_id) == (
        E.SUBMITTED,
        requester.id,
        ticket.id,
    )
    assert email.status is DeliveryStatus.PENDING
    assert email.payload["ticket"]["reference"] == ticket.reference
    assert email.payload["url"].endswith(f"/mes-demandes/{ticket.reference}")
    # A receipt of one's own act is not news: the requester's bell stays at zero.
    assert rows(Channel.INAPP) == []


def test_a_rolled_back_change_leaves_no_notification(db):
    requester = make_user()
    submit(requester, commit=False)
    db.session.rollback()
    assert rows() == []
    # ...and the next transaction does not inherit the forgotten wishes.
    make_user()
    assert rows() == []


def test_several_changes_in_one_request_make_one_message_per_recipient(db):
    queue = make_queue()
    requester = make_user()
    lead = make_user(role=Role.TECHNICIAN, queues=(queue,), leads=(queue,))
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue)
    # The acknowledgement, and the new ticket to each member of the queue.
    assert sorted((r.recipient_id, r.event) for r in rows(Channel.EMAIL)) == sorted(
        [(requester.id, E.SUBMITTED), (lead.id, E.NEW_TICKET), (tech.id, E.NEW_TICKET)]
    )
    # The lead assigns to the technician, answers publicly and waits on the requester.
    assign(ticket, tech, actor=lead)
    write(ticket, lead, EventKind.REPLY, "Pouvez-vous redémarrer le poste ?")
    apply_status(ticket, Status.WAITING_ON_REQUESTER, lead, Actor.STAFF)
    db.session.commit()
    emails = rows(Channel.EMAIL)[3:]
    by_user = {r.recipient_id: r for r in emails}
    assert sorted(by_user) == sorted([tech.id, requester.id]) and len(emails) == 2
    assert by_user[tech.id].event is E.ASSIGNED
    to_requester = by_user[requester.id]
    assert to_requester.event is E.WAITING  # the actionable news names the message
    assert [e["event"] for e in to_requester.events] == ["replied", "waiting"]
    assert to_requester.events[0]["body"] == "Pouvez-vous redémarrer le poste ?"
    assert lead.id not in by_user  # the actor hears nothing of their own action


def test_nobody_is_notified_of_their_own_action(db):
    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue)
    assign(ticket, tech, actor=tech)  # self-assignment
    db.session.commit()
    write(ticket, requester, EventKind.COMMENT, "Merci")  # the requester writes: tech hears
    db.session.commit()
    write(ticket, tech, EventKind.REPLY, "Je passe demain")  # tech replies: requester hears
    db.session.commit()
    events = [(r.recipient_id, r.event) for r in rows(Channel.EMAIL)]
    assert events == [
        (requester.id, E.SUBMITTED),
        (tech.id, E.NEW_TICKET),
        (tech.id, E.COMMENTED),
        (requester.id, E.REPLIED),
    ]


def test_internal_notes_notify_nobody(db):
    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    other = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue)
    assign(ticket, other, actor=other)
    before = len(rows(Channel.EMAIL))  # the acknowledgement and the new-ticket mails
    write(ticket, tech, EventKind.NOTE, "Le demandeur est pénible")
    db.session.commit()
    assert len(rows(Channel.EMAIL)) == before


def test_requester_comment_goes_to_the_queue_when_nobody_is_assigned(db):
    queue = make_queue()
    requester = make_user()
    techs = [make_user(role=Role.TECHNICIAN, queues=(queue,)) for _ in range(2)]
    make_user(role=Role.TECHNICIAN, queues=(queue,), is_active=False)
    ticket = submit(requester, queue=queue)
    write(ticket, requester, EventKind.COMMENT, "Toujours en panne")
    db.session.commit()
    commented = rows(Channel.EMAIL, event=E.COMMENTED)
    assert sorted(r.recipient_id for r in commented) == sorted(t.id for t in techs)


def test_transfer_notifies_the_new_queue_members(db):
    old_queue, new_queue = make_queue(), make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(old_queue, new_queue))
    newcomer = make_user(role=Role.TECHNICIAN, queues=(new_queue,))
    make_user(role=Role.TECHNICIAN, queues=(old_queue,))
    ticket = submit(requester, queue=old_queue)
    transfer(ticket, new_queue, actor=tech)
    db.session.commit()
    assert [r.recipient_id for r in rows(Channel.EMAIL, event=E.TRANSFERRED)] == [newcomer.id]


def test_resolved_and_closed_reach_the_requester(db):
    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue)
    assign(ticket, tech, actor=tech)
    db.session.commit()
    apply_status(ticket, Status.RESOLVED, tech, Actor.STAFF)
    db.session.commit()
    apply_status(ticket, Status.CLOSED, tech, Actor.STAFF)
    db.session.commit()
    assert [r.event for r in rows(Channel.EMAIL, recipient_id=requester.id)] == [
        E.SUBMITTED,
        E.RESOLVED,
        E.CLOSED,
    ]


def test_inactive_users_are_not_notified(db):
    requester = make_user(is_active=False)
    submit(requester)
    assert rows() == []


def test_an_address_no_server_takes_gets_the_bell_and_no_email(db):
    # A stand-in under the reserved .invalid domain (RFC 2606): the second person of an
    # address two directory entries share, until the directory gives theirs. An e-mail row
    # to it would only fail at the relay, each time, and sit on the admin's failed list.
    from desk.notifications.outbox import Alert, write_alerts

    queue = make_queue()
    requester = make_user("shared-address-x1@desk.invalid")
    tech = make_user("shared-address-x2@DESK.INVALID.", role=Role.TECHNICIAN, queues=(queue,))
    other = make_user(role=Role.TECHNICIAN, queues=(queue,))
    assert not requester.has_mailbox and not tech.has_mailbox and other.has_mailbox
    ticket = submit(requester, queue=queue)
    assert [(r.recipient_id, r.event) for r in rows(Channel.EMAIL)] == [(other.id, E.NEW_TICKET)]
    assert sorted(r.recipient_id for r in rows(Channel.INAPP)) == sorted([tech.id, other.id])
    write(ticket, other, EventKind.REPLY, "Pouvez-vous redémarrer le poste ?")
    db.session.commit()
    assert [r.recipient_id for r in rows(Channel.EMAIL)] == [other.id]
    assert requester.id in {r.recipient_id for r in rows(Channel.INAPP)}
    alerts = [Alert(u, {"kind": "test"}, f"test:{u.id}") for u in (tech, other)]
    assert write_alerts(E.DISRUPTION_ENDED, alerts) == 1
    assert rows(Channel.EMAIL)[-1].recipient_id == other.id
