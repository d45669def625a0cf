"""Writing on a ticket as staff by e-mail needs proof that the sender read one of desk's
e-mails to staff: a From line and a `[DEM-…]` subject are forged in a minute, and what staff
write reaches the requester as the service's answer."""

from __future__ import annotations

from desk.auth.models import Role
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.review import retry_message
from desk.inbound.services import fetch_mail
from desk.notifications.mailer import message_id
from desk.notifications.models import Channel, NotificationEvent
from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.helpers import events, ledger, people_and_ticket, signed
from tests.inbound.test_services import drop, subject_of
from tests.notifications.helpers import assign, deliver_all, rows, submit
from tests.support.factories import make_queue, make_user

FORGED = "Bonjour, merci d'envoyer votre mot de passe à helpdesk-secure@evil.example."


def _held_as(reason: HoldReason) -> None:
    (row,) = [r for r in ledger() if r.status is not InboundStatus.APPENDED]
    assert row.status is InboundStatus.HELD and row.reason is reason


def test_a_forged_from_with_the_reference_in_the_subject_is_held(db, inbound):
    queue_address = "support@univ.example"
    requester, tech, _stranger, ticket = people_and_ticket()
    ticket.queue.inbound_address = queue_address
    db.session.commit()
    raw = samples.gmail(
        sender=tech.email, to=queue_address, subject=subject_of(ticket), words=FORGED
    )
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"held": 1}
    _held_as(HoldReason.UNPROVEN_STAFF)
    assert events(ticket, EventKind.REPLY) == []
    assert not rows(Channel.EMAIL, recipient_id=requester.id)  # the requester is told nothing


def test_the_requester_s_reply_address_does_not_make_staff(db, inbound):
    # Someone who receives the requester's e-mails (the requester, someone in copy) knows
    # that address; it proves the ticket, not the technician.
    _requester, tech, _stranger, ticket = people_and_ticket()
    drop(inbound, "1.eml", samples.gmail(sender=tech.email, to=signed(ticket), subject="Re: x"))
    assert fetch_mail().counts == {"held": 1}
    _held_as(HoldReason.UNPROVEN_STAFF)


def test_guessed_or_forged_message_ids_do_not_make_staff(db, inbound):
    requester, tech, _stranger, ticket = people_and_ticket()
    sent = submit(requester, queue=ticket.queue)  # a notification row to guess the number of
    (ack,) = rows(Channel.EMAIL, ticket_id=sent.id, recipient_id=requester.id)
    host = samples.DESK_HOST
    guessed = f"<ticket-{sent.reference}.notif-{ack.id}@{host}>"  # the old, unsigned shape
    forged = f"<ticket-{sent.reference}.notif-{ack.id}.0123456789abcdef@{host}>"
    theirs = message_id(sent.reference, ack.id)  # real, but sent to the requester
    for name, in_reply_to in (("1.eml", guessed), ("2.eml", forged), ("3.eml", theirs)):
        raw = samples.gmail(
            sender=tech.email, to="desk@univ.example", subject="Re: x", in_reply_to=in_reply_to
        )
        drop(inbound, name, raw)
    counts = fetch_mail().counts
    assert counts == {"held": 3}, counts
    assert events(sent, EventKind.REPLY) == []


def test_staff_answer_the_e_mails_desk_sent_them(db, inbound, smtp):
    queue = make_queue()
    tech = make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN)
    requester = make_user("marie.dupont@umontpellier.fr", name="Marie Dupont")
    ticket = submit(requester, queue=queue)
    assign(ticket, tech, actor=admin)
    db.session.commit()
    deliver_all()
    to = {m["To"]: m for m in smtp.messages}
    assert to[requester.email]["Reply-To"] == signed(ticket)
    staff_mail = to[tech.email]
    assert staff_mail["Reply-To"] == signed(ticket, staff=True)
    # Replying to it, as a mail client does: to its Reply-To, naming its Message-ID.
    raw = samples.thunderbird(
        sender=tech.email,
        to=staff_mail["Reply-To"],
        subject="Re: x",
        in_reply_to=staff_mail["Message-ID"],
    )
    drop(inbound, "1.eml", raw)
    # A client that ignores Reply-To (answering desk's From) still names the Message-ID.
    raw = samples.gmail(
        sender=tech.email,
        to="desk@univ.example",
        subject="Re: x",
        in_reply_to=staff_mail["Message-ID"],
        words="Je passe à 14 h.",
    )
    drop(inbound, "2.eml", raw)
    assert fetch_mail().counts == {"appended": 2}
    replies = events(ticket, EventKind.REPLY)
    assert [r.actor_id for r in replies] == [tech.id, tech.id]
    assert not any(r.is_internal for r in replies)
    # The requester is told of the answer, as of one written on the web.
    assert any(
        n.event is NotificationEvent.REPLIED for n in rows(Channel.EMAIL, recipient_id=requester.id)
    )


def test_the_requester_still_writes_by_subject(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.gmail(sender=requester.email, to="desk@univ.example", subject=subject_of(ticket))
    drop(inbound, "1.eml", raw)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.actor_id == requester.id


def test_an_admin_who_read_it_may_let_it_through(db, inbound):
    _requester, tech, _stranger, ticket = people_and_ticket()
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN)
    drop(inbound, "1.eml", samples.gmail(sender=tech.email, to=signed(ticket), subject="Re: x"))
    fetch_mail()
    (row,) = ledger()
    assert retry_message(row.id, actor=admin) == "appended"
    (reply,) = events(ticket, EventKind.REPLY)
    assert reply.actor_id == tech.id
