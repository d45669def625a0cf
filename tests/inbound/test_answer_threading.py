"""What desk sends in answer to a message someone sent it (the acknowledgement of a request by
e-mail; the answers to a file refused, to a reply a finished request refuses) is a reply to
that message (RFC 5322 §3.6.4): In-Reply-To names it, References are its own then its
Message-ID, so that the sender's mail client shows the answer under their message. A
ticket's e-mails keep its thread's root first, and those of a ticket filed by e-mail all
answer the e-mail that filed it, so that its later e-mails join the same thread in the
sender's client; an answer to the acknowledgement still lands on its ticket. Over the real
Dovecot (IMAPS) and SMTP sink."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from desk.auth.models import Role
from desk.inbound.services import fetch_mail
from desk.notifications.mailer import MAX_REFERENCES, thread_headers, thread_id
from desk.privacy.services import erase_ticket
from desk.tickets.actions import change_status
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

    # The ticket's later e-mails answer the message they sent too, not only the root (which
    # their mailbox never holds): Gmail and Outlook put them in the same conversation.
    technician = make_user(role=Role.TECHNICIAN, queues=(queue,))
    write(ticket, technician, EventKind.REPLY, "Je passe cet après-midi.")
    db.session.commit()
    deliver_all()
    later = smtp.to(user.email)[-1]
    assert later["Subject"] != acknowledgement["Subject"]  # not the acknowledgement again
    assert later["In-Reply-To"] == own_id
    assert later["References"].split() == [root, *own_references, own_id]


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


def _parent_in(client, folders: list[str], raw: bytes) -> str | None:
    """The message a mail client threads `raw` under, as Thunderbird does: the newest of its
    References (else its In-Reply-To) that the mailbox holds, found by Dovecot's own search."""
    message = message_from_bytes(raw, policy=default)
    wanted = str(message.get("References") or message.get("In-Reply-To") or "").split()
    for candidate in reversed(wanted):
        for folder in folders:
            client.select_folder(folder, readonly=True)
            if client.search(["HEADER", "Message-ID", candidate]):
                return candidate
    return None


def test_every_email_of_a_ticket_filed_by_mail_lands_under_the_message_its_sender_sent(
    db, mailbox, smtp
):
    queue, _entry = _queue_with_address()
    user = make_user(email="claire.martin@umontpellier.fr")
    raw = samples.gmail(sender=user.email, to=ADDRESS, subject="Imprimante")
    own_id, _own_references = _ids(raw)
    mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"created": 1}
    (ticket,) = db.session.query(Ticket).all()
    technician = make_user(role=Role.TECHNICIAN, queues=(queue,))
    write(ticket, technician, EventKind.REPLY, "Je passe cet après-midi.")
    db.session.commit()
    change_status(ticket, Status.IN_PROGRESS, actor=technician)
    change_status(ticket, Status.RESOLVED, actor=technician)
    db.session.commit()
    deliver_all()
    received = [m.as_bytes() for m in smtp.to(user.email)]
    assert len(received) == 3  # the acknowledgement, the technician's reply, the resolution

    # The person's own mailbox, in the real IMAP server: what they sent, what desk sent them.
    for folder in ("Sent", "Received"):
        if not mailbox.folder_exists(folder):
            mailbox.create_folder(folder)
        mailbox.select_folder(folder)
        if uids := mailbox.search("ALL"):
            mailbox.delete_messages(uids)
            mailbox.expunge()
    mailbox.append("Sent", raw)
    for message in received:
        mailbox.append("Received", message)
    root = thread_id(ticket.reference)
    for message in received:
        # Under their own message: desk's root is in no mailbox, so it threads nothing alone.
        assert _parent_in(mailbox, ["Received", "Sent"], message) == own_id
        assert message_from_bytes(message, policy=default)["References"].split() == [
            root,
            own_id,
        ]

    # Dovecot's RFC 5256 threading of one folder holding all four: one thread, rooted at the
    # message they sent (not at a placeholder for desk's root), its three answers below it.
    mailbox.append("Received", raw)
    mailbox.select_folder("Received", readonly=True)
    (sent_uid,) = mailbox.search(["HEADER", "Message-ID", own_id])
    (thread,) = mailbox.thread(algorithm="REFERENCES", criteria="ALL")
    assert thread[0] == sent_uid
    assert sorted(_flatten(thread[1:])) == sorted(
        uid for uid in mailbox.search("ALL") if uid != sent_uid
    )

    # Its Message-ID goes with the rest when the ticket is erased (it may name its writer).
    assert ticket.filed_by_mail == {"message_id": own_id.strip("<>"), "references": []}
    assert erase_ticket(ticket.id)
    db.session.commit()
    erased = select(Ticket.id).where(Ticket.id == ticket.id, Ticket.filed_by_mail.is_(None))
    assert db.session.scalar(erased) == ticket.id  # SQL's NULL, not JSON's null


def _flatten(tree) -> list[int]:
    return [
        leaf for item in tree for leaf in (_flatten(item) if isinstance(item, tuple) else [item])
    ]
