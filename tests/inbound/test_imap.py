"""Against a real Dovecot: messages APPENDed as clients store them, polled over IMAPS and
STARTTLS, moved to processed/failed; a full round trip from desk's own e-mail."""

from __future__ import annotations

from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.tickets.models import EventKind, Status
from tests.inbound import samples
from tests.inbound.conftest import count
from tests.inbound.helpers import events, ledger, people_and_ticket, signed
from tests.notifications.helpers import deliver_all


def test_client_shapes_appended_over_imap_become_the_right_entries(db, mailbox):
    requester, tech, stranger, ticket = people_and_ticket("waiting_on_requester")
    to = signed(ticket)
    subject = f"[{ticket.reference}] {ticket.subject}"
    mailbox.append("INBOX", samples.outlook_fr(sender=requester.email, to=to, subject=subject))
    staff_to = signed(ticket, staff=True)  # the technician answers an e-mail sent to staff
    mailbox.append("INBOX", samples.thunderbird(sender=tech.email, to=staff_to, subject=subject))
    mailbox.append("INBOX", samples.windows_1252(sender=requester.email, to=to, subject=subject))
    mailbox.append("INBOX", samples.html_only(sender=requester.email, to=to, subject=subject))
    mailbox.append(
        "INBOX", samples.exchange_out_of_office(sender=requester.email, to=to, subject=subject)
    )
    mailbox.append("INBOX", samples.gmail(sender=stranger.email, to=to, subject=subject))
    assert fetch_mail().counts == {"appended": 4, "ignored": 1, "held": 1}
    comments = [e.body for e in events(ticket, EventKind.COMMENT)]
    assert comments[0] == "Merci, cela fonctionne."
    assert comments[1] == "Le problème persiste : l’écran reste noir… « urgent »"
    assert "SN-1234" in comments[2] and "<" not in comments[2]
    (reply,) = events(ticket, EventKind.REPLY)
    assert reply.body == "I tried again, same error." and reply.actor_id == tech.id
    assert {r.reason for r in ledger() if r.status is not InboundStatus.APPENDED} == {
        HoldReason.AUTO_REPLY,
        HoldReason.NOT_PARTY,
    }
    assert count(mailbox, "INBOX") == 0 and count(mailbox, "processed") == 6


def test_same_message_appended_twice_is_added_once_and_poison_goes_to_failed(
    app, db, mailbox, monkeypatch
):
    monkeypatch.setitem(app.config, "INBOUND_MAX_MB", 1)
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = samples.gmail(sender=requester.email, to=signed(ticket), subject="Re: x")
    huge = samples.gmail(
        sender=requester.email, to=signed(ticket), subject="Re: x", words="x" * 1_500_000
    )
    mailbox.append("INBOX", raw)
    mailbox.append("INBOX", huge)  # over DESK_INBOUND_MAX_MB: never read whole
    mailbox.append("INBOX", b"Subject: broken\r\nContent-Type: multipart/mixed\r\n\r\n\x00")
    mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"appended": 1, "failed": 1, "held": 1, "duplicate": 1}
    assert len(events(ticket, EventKind.COMMENT)) == 1
    assert count(mailbox, "INBOX") == 0
    assert count(mailbox, "failed") == 1 and count(mailbox, "processed") == 3
    (failed,) = [r for r in ledger() if r.status is InboundStatus.FAILED]
    assert failed.reason is HoldReason.TOO_LARGE and failed.data["max"] == 1
    assert failed.data["size"] >= 1.4 and failed.sender == requester.email  # from its header


def test_starttls_source(app, db, dovecot, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", dovecot.url(tls="imap"))
    requester, _tech, _stranger, ticket = people_and_ticket()
    mailbox.append(
        "INBOX", samples.thunderbird(sender=requester.email, to=signed(ticket), subject="Re: x")
    )
    assert fetch_mail().counts == {"appended": 1}


def test_an_untrusted_certificate_is_refused_and_nothing_is_read(app, db, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "INBOUND_IMAP_CAFILE", "")
    requester, _tech, _stranger, ticket = people_and_ticket()
    mailbox.append(
        "INBOX", samples.thunderbird(sender=requester.email, to=signed(ticket), subject="Re: x")
    )
    assert fetch_mail().counts == {"source_error": 1}
    assert count(mailbox, "INBOX") == 1 and ledger() == []


def test_round_trip_reply_to_desks_own_email(db, smtp, mailbox):
    """desk e-mails the requester; they press Reply in Outlook; the words join the ticket."""
    from tests.notifications.helpers import submit

    requester, _tech, _stranger, _ticket = people_and_ticket()
    ticket = submit(requester, subject="Imprimante du 2e étage")
    assert deliver_all() == ["sent"]
    (sent,) = smtp.to(requester.email)
    assert sent["Reply-To"] == signed(ticket)
    assert sent["Auto-Submitted"] == "auto-generated"
    text = sent.get_body(("plain",)).get_content()
    assert "Répondez à cet e-mail pour ajouter un message" in text
    reply = samples.outlook_fr(
        sender=requester.email,
        to=sent["Reply-To"],
        subject=sent["Subject"],
        in_reply_to=sent["Message-ID"],
        words="Elle imprime à nouveau, merci.",
    )
    mailbox.append("INBOX", reply)
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "Elle imprime à nouveau, merci."
    db.session.refresh(ticket)
    assert ticket.status is Status.NEW


def test_more_shapes_over_imap_files_new_request_and_bounce(db, smtp, mailbox):
    """Apple Mail, a PDF with an inline image, a new request to a queue's address and a
    Postfix bounce of desk's acknowledgement, all APPENDed to Dovecot and polled once."""
    from desk.notifications.mailer import message_id
    from desk.notifications.models import Channel, DeliveryStatus
    from desk.tickets.models import Ticket
    from tests.inbound.helpers import attachments
    from tests.notifications.helpers import rows
    from tests.support.factories import make_request_type

    requester, _tech, _stranger, ticket = people_and_ticket()
    ticket.queue.inbound_address = "aide@univ.example"
    make_request_type(form_key="email_request", queue=ticket.queue)
    to = signed(ticket)
    mailbox.append("INBOX", samples.apple_mail(sender=requester.email, to=to, subject="x"))
    mailbox.append("INBOX", samples.with_files(sender=requester.email, to=to, subject="x"))
    new = samples.outlook_fr(
        sender=requester.email, to="aide@univ.example", subject="Wi-Fi", words="Plus de Wi-Fi."
    )
    mailbox.append("INBOX", new)
    assert fetch_mail().counts == {"appended": 2, "created": 1}
    words = [e.body for e in events(ticket, EventKind.COMMENT)]
    assert words[0].startswith("C’est réparé, merci !") and "a écrit" not in words[0]
    assert words[1] == "Voici la capture et le devis."
    assert {"devis.pdf", "image-3.png"} <= {a.filename for a in attachments(ticket)}
    created = db.session.query(Ticket).filter(Ticket.id != ticket.id).one()
    assert created.data["message"] == "Plus de Wi-Fi." and created.subject == "Wi-Fi"
    assert "sent" in deliver_all()  # the acknowledgement of the new request
    (sent,) = [
        n
        for n in rows(Channel.EMAIL)
        if n.ticket_id == created.id and n.recipient_id == requester.id
    ]
    bounce = samples.postfix_bounce(
        original_message_id=message_id(created.reference, sent.id), recipient=requester.email
    )
    mailbox.append("INBOX", bounce)
    assert fetch_mail().counts == {"ignored": 1}
    db.session.refresh(sent)
    assert sent.status is DeliveryStatus.FAILED and "5.1.1" in sent.last_error
    assert count(mailbox, "INBOX") == 0 and count(mailbox, "processed") == 4


def _xhtml(*, sender: str, to: str, subject: str, words: str) -> bytes:
    """An HTML-only message written as XHTML, XML declaration first (mailers and webmails
    writing XHTML do so)."""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <xhtml-{len(words)}-{len(to)}@mail.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        '<?xml version="1.0" encoding="utf-8"?>\r\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\r\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>{words}</p>'
        "<blockquote>Le message d’avant</blockquote></body></html>\r\n"
    ).encode()


def test_an_xhtml_body_with_its_xml_declaration_keeps_its_words(db, mailbox):
    """lxml refuses a decoded string that declares its encoding: the reply was held as having
    no words of its own, and a new request arrived with no description."""
    from sqlalchemy import select

    from desk.extensions import db as database
    from desk.tickets.models import Ticket
    from tests.support.factories import make_request_type

    requester, _tech, _stranger, ticket = people_and_ticket()
    ticket.queue.inbound_address = "support@univ.example"
    make_request_type(form_key="email_request", queue=ticket.queue)
    words = "L’écran reste noir après la mise à jour."
    reply = _xhtml(sender=requester.email, to=signed(ticket), subject="Re: x", words=words)
    mailbox.append("INBOX", reply)
    new = _xhtml(
        sender=requester.email, to="support@univ.example", subject="Scanner", words="Bourrage."
    )
    mailbox.append("INBOX", new)
    assert fetch_mail().counts == {"appended": 1, "created": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == words
    created = database.session.scalars(select(Ticket).where(Ticket.id != ticket.id)).one()
    assert created.data["message"].startswith("Bourrage.") and "<" not in created.data["message"]


def test_raw_latin1_header_lines_are_read_as_the_bodies_are(db, mailbox):
    """An old client writes its Subject and file names in raw Latin-1: the ticket's title
    read "Imprimante bloqu\ufffde" and its file "relev\ufffd.pdf"."""
    from sqlalchemy import select

    from desk.extensions import db as database
    from desk.tickets.models import Ticket
    from tests.inbound.helpers import attachments
    from tests.support.factories import make_queue, make_request_type, make_user

    queue = make_queue()
    queue.inbound_address = "support@univ.example"
    make_request_type(form_key="email_request", queue=queue)
    make_user(email="claire.martin@umontpellier.fr")
    raw = (
        b"From: Claire Martin <claire.martin@umontpellier.fr>\r\nTo: support@univ.example\r\n"
        b"Subject: Imprimante bloqu\xe9e\r\nMessage-ID: <latin1-headers@mail.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nLe relev\xe9 est joint.\r\n"
        b'--b\r\nContent-Type: application/pdf; name="relev\xe9.pdf"\r\n'
        b'Content-Disposition: attachment; filename="relev\xe9.pdf"\r\n\r\n'
        + samples.PDF
        + b"\r\n--b--\r\n"
    )
    mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"created": 1}
    ticket = database.session.scalars(select(Ticket)).one()
    assert ticket.subject == "Imprimante bloquée"
    assert ticket.data["message"] == "Le relevé est joint."
    assert [a.filename for a in attachments(ticket) if not a.is_internal] == ["relevé.pdf"]


def test_two_pollers_at_once_append_once_and_leave_nothing_behind(app, db, mailbox):
    """`flask desk fetch-mail` while the worker polls (only the worker's polls share a
    lock), over the real Dovecot: each reply once, and a message the other poll moved first
    is not one "left in the mailbox" (Dovecot answers its MOVE with NO [EXPUNGEISSUED])."""
    import threading

    from desk.inbound.sources import ImapSource

    requester, _tech, _stranger, ticket = people_and_ticket()
    db.session.commit()
    for n in range(12):
        words = f"Réponse {n}."
        raw = samples.gmail(sender=requester.email, to=signed(ticket), subject="a", words=words)
        mailbox.append("INBOX", raw)
    # Each poll's own connection, as the worker and the command have.
    opened = [
        ImapSource(
            app.config["INBOUND_IMAP_URL"],
            max_bytes=10**6,
            cafile=app.config["INBOUND_IMAP_CAFILE"],
        )
        for _ in range(2)
    ]
    first = next(opened[0].pending())
    opened[1].done(first.key)  # the other poll moved it meanwhile
    opened[0].done(first.key)  # not refused: it is gone, not stuck
    for source in opened:
        source.close()
    results = []

    def poll():
        with app.app_context():
            results.append(fetch_mail().counts)

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not any("unmoved" in result or "source_error" in result for result in results)
    assert sum(result.get("appended", 0) for result in results) == 11
    assert len(events(ticket, EventKind.COMMENT)) == 11
    # Every message out of INBOX; one both polls moved at the same instant may be in
    # processed twice (Dovecot's MOVE is a copy, then an expunge): the ledger read it once.
    assert count(mailbox, "INBOX") == 0 and count(mailbox, "processed") >= 12
