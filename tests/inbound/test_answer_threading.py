"""What desk sends in answer to a message someone sent it (the acknowledgement of a request by
e-mail; the answers to a file refused, to a reply a finished request refuses) is a reply to
that message (RFC 5322 §3.6.4): In-Reply-To names it, References are its own then its
Message-ID, so that the sender's mail client shows the answer under their message. A
ticket's e-mails keep its thread's root first, so that its later e-mails join the same
thread; and an answer to the acknowledgement still lands on its ticket. Over the real
Dovecot (IMAPS) and SMTP sink."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from desk.auth.models import Role
from desk.inbound.services import fetch_mail
from desk.notifications.mailer import MAX_REFERENCES, thread_headers, thread_id
from desk.tickets.models import EventKind, Status, Ticket
from tests.inbound import samples
from tests.inbound.helpers import events, people_and_ticket, signed
from tests.inbound.test_request_file_answer import EXE
from tests.inbound.test_requests import ADDRESS, _queue_with_address
from tests.inbound.test_services import drop
from tests.notifications.helpers import deliver_all, write
from tests.support.factories import make_user

CONVERSATION = "<colleague-1@mail.example.org>"


def _ids(raw: bytes) -> tuple[str, list[str]]:
    """The Message-ID and References of a sample, as its sender's client keeps them."""
    message = message_from_bytes(raw, policy=default)
    return message["Message-ID"], str(message.get("References", "")).split()


def test_the_acknowledgement_answers_the_request_in_its_senders_thread(db, mailbox, smtp):
    queue, _entry = _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr")
    # Written in a conversation with a colleague, who told them to ask the service desk.
    raw = samples.gmail(
        sender=user.email, to=ADDRESS, subject="Imprimante", in_reply_to=CONVERSATION
    )
    own_id, own_references = _ids(raw)
    mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = db.session.query(Ticket).all()
    assert deliver_all() == ["sent"]
    (acknowledgement,) = smtp.to(user.email)
    assert acknowledgement["In-Reply-To"] == own_id
    root = thread_id(ticket.reference)
    assert acknowledgement["References"].split() == [root, *own_references, own_id]

    # Their answer to the acknowledgement is added to the ticket (desk's Message-ID in it).
    answer = samples.gmail(
        sender=user.email,
        to=acknowledgement["Reply-To"],
        subject=acknowledgement["Subject"],
        in_reply_to=acknowledgement["Message-ID"],
        words="J’oubliais : c’est au 2e étage.",
    )
    mailbox.append("INBOX", answer)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "J’oubliais : c’est au 2e étage."

    # The ticket's later e-mails still refer to its root: the same thread.
    technician = make_user(role=Role.TECHNICIAN, queues=(queue,))
    write(ticket, technician, EventKind.REPLY, "Je passe cet après-midi.")
    db.session.commit()
    deliver_all()
    later = smtp.to(user.email)[-1]
    assert later["In-Reply-To"] == root and later["References"] == root


def test_a_message_without_a_message_id_gets_the_tickets_thread(db, mailbox, smtp):
    _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr")
    raw = samples.gmail(sender=user.email, to=ADDRESS, subject="Imprimante")
    raw = b"\r\n".join(line for line in raw.split(b"\r\n") if not line.startswith(b"Message-ID"))
    mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = db.session.query(Ticket).all()
    assert deliver_all() == ["sent"]
    (acknowledgement,) = smtp.to(user.email)
    assert acknowledgement["In-Reply-To"] == acknowledgement["References"]
    assert acknowledgement["References"] == thread_id(ticket.reference)


def test_the_answer_to_a_refused_file_of_a_new_request_is_in_its_senders_thread(db, mailbox, smtp):
    _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr")
    raw = samples.with_files(
        sender=user.email, to=ADDRESS, subject="Imprimante", files=[EXE], inline_image=None
    )
    own_id, own_references = _ids(raw)
    assert own_references == []  # a new message: References are its Message-ID alone
    mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"held": 1}
    assert deliver_all() == ["sent"]
    (answer,) = smtp.to(user.email)
    assert answer["In-Reply-To"] == own_id
    # About no ticket: no thread of desk's (its digests' and alerts' one least of all).
    assert answer["References"] == own_id


def test_the_answers_to_a_reply_a_ticket_did_not_take_are_in_its_thread(db, inbound, smtp):
    requester, _tech, _stranger, ticket = people_and_ticket()
    root = thread_id(ticket.reference)
    notification = f"<ticket-{ticket.reference}.notif-1.0123456789abcdef@127.0.0.1>"
    with_file = samples.with_files(
        sender=requester.email,
        to=signed(ticket),
        subject="x",
        in_reply_to=notification,
        files=[EXE],
        inline_image=None,
    )
    drop(inbound, "1.eml", with_file)
    assert fetch_mail().counts == {"held": 1}
    ticket.status = Status.CLOSED
    db.session.commit()
    late = samples.gmail(sender=requester.email, to=signed(ticket), subject="x")
    drop(inbound, "2.eml", late)
    assert fetch_mail().counts == {"held": 1}
    assert sorted(deliver_all()) == ["sent", "sent"]
    file_refused, reply_refused = smtp.to(requester.email)
    own_id, own_references = _ids(with_file)
    assert own_references == [f"<ticket-thread@{samples.DESK_HOST}>", notification]
    assert file_refused["In-Reply-To"] == own_id
    # The ticket's root first: the sender's References did not have it.
    assert file_refused["References"].split() == [root, *own_references, own_id]
    assert reply_refused["In-Reply-To"] == _ids(late)[0]
    assert reply_refused["References"].split() == [root, _ids(late)[0]]


def test_a_long_thread_keeps_its_first_and_newest_references(app):
    references = [f"r{n}@mail.example.org" for n in range(40)]
    with app.app_context():
        headers = thread_headers("DEM-2026-000001", {"message_id": "m@x", "references": references})
        root = thread_id("DEM-2026-000001")
    chain = headers["References"].split()
    assert len(chain) == MAX_REFERENCES
    assert chain[0] == root and chain[-1] == "<m@x>" and chain[-2] == "<r39@mail.example.org>"
