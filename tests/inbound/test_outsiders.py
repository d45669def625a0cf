"""An outsider's messages, delivered into a real Dovecot and polled over IMAPS: encoded NUL
characters, a line that made the reply cutter's expressions run for hours, HTML with scripts.
Each is kept (appended, held or failed, never lost) and the poll reaches the next message."""

from __future__ import annotations

import time

from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.notifications.models import Channel, NotificationEvent
from desk.tickets.models import EventKind, Ticket
from tests.inbound.conftest import count
from tests.inbound.helpers import attachments, events, ledger, people_and_ticket, signed
from tests.notifications.helpers import deliver_all, rows
from tests.support.factories import make_request_type


def _raw(sender: str, to: str, subject: str, body: str, *, kind="text/plain", extra="") -> bytes:
    """A message as a script writes it (no client would), headers and body as given."""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{abs(hash((sender, subject, body)))}@outside.example>\r\n{extra}"
        f"Content-Type: {kind}; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def test_a_robot_answering_each_acknowledgement_runs_out_of_them(
    app, db, smtp, mailbox, monkeypatch
):
    # A robot with no robot headers (a badly set up auto-answer of a functional mailbox that
    # has an account) answers desk's acknowledgement with a new message to the queue's
    # address: a new request, acknowledged, answered... one ticket per poll, under the
    # per-minute throttle, all day long. Past the hour's acknowledgements, no more.
    monkeypatch.setitem(app.config, "INBOUND_MAX_ACKS_PER_HOUR", 3)
    requester, _tech, _stranger, ticket = people_and_ticket()
    ticket.queue.inbound_address = "aide@univ.example"
    make_request_type(form_key="email_request", queue=ticket.queue)
    if 3600 - time.time() % 3600 < 30:  # the acknowledgements are counted per clock hour
        time.sleep(3600 - time.time() % 3600 + 0.1)
    robot = requester.email
    mailbox.append("INBOX", _raw(robot, "aide@univ.example", "Imprimante", "En panne."))
    for turn in range(6):
        assert fetch_mail().counts == {"created": 1}
        deliver_all()  # the acknowledgement, and the technician's news of a new ticket
        if len(smtp.to(robot)) == turn:
            break
        # The robot answers desk's From line (where an out-of-office goes), the queue's address.
        answer = _raw(robot, "aide@univ.example", f"Re: {turn}", "Message bien reçu.")
        mailbox.append("INBOX", answer)
    assert turn == 3 and len(smtp.to(robot)) == 3  # three acknowledged, the fourth not
    assert db.session.query(Ticket).count() == 1 + 4  # every request filed all the same
    assert len(rows(Channel.EMAIL, event=NotificationEvent.SUBMITTED)) == 3
    assert fetch_mail().counts == {} and count(mailbox, "INBOX") == 0


def test_encoded_nul_characters_are_kept_not_lost(db, mailbox):
    # IMAP turns a raw NUL into another byte, an RFC 2047 encoded word does not: decoded,
    # "=00" is a NUL, which PostgreSQL refuses in text. The message failed, and even its
    # failure could not be written: the admins never saw it.
    requester, _tech, _stranger, ticket = people_and_ticket()
    to = signed(ticket)
    mailbox.append("INBOX", _raw(requester.email, to, "=?utf-8?q?Re=00:_écran?=", "Toujours noir."))
    mailbox.append("INBOX", _raw("=?utf-8?q?eve=00?=@evil.example", to, "x", "Bonjour."))
    files = (
        "--b\r\nContent-Type: text/plain\r\n\r\nLe devis.\r\n"
        "--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="=?utf-8?q?de=00vis.pdf?="\r\n\r\n'
        "JVBERi0xLjQK\r\n--b--"
    )
    mailbox.append(
        "INBOX", _raw(requester.email, to, "devis", files, kind='multipart/mixed; boundary="b"')
    )
    report = (
        "--r\r\nContent-Type: text/plain\r\n\r\nUndeliverable.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; =?utf-8?q?x=00?=@univ.example\r\nAction: failed\r\n"
        "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 =?utf-8?q?no=00_such_user?=\r\n--r--"
    )
    mailbox.append(
        "INBOX",
        _raw(
            "MAILER-DAEMON@mx.example",
            "desk@univ.example",
            "Undelivered",
            report,
            kind='multipart/report; report-type=delivery-status; boundary="r"',
        ),
    )
    mailbox.append("INBOX", _raw(requester.email, to, "ok", "Tout va bien."))
    assert fetch_mail().counts == {"appended": 3, "held": 1, "ignored": 1}
    rows = ledger()
    assert len(rows) == 5 and not [r for r in rows if "\x00" in r.subject + r.sender]
    assert rows[0].subject == "Re: écran" and rows[0].status is InboundStatus.APPENDED
    assert rows[1].reason is HoldReason.UNKNOWN_SENDER and rows[1].sender == "eve@evil.example"
    assert rows[3].reason is HoldReason.BOUNCE and "\x00" not in str(rows[3].data)
    words = [e.body for e in events(ticket, EventKind.COMMENT)]
    assert words == ["Toujours noir.", "Le devis.", "Tout va bien."]
    assert "devis.pdf" in {a.filename for a in attachments(ticket)}
    assert count(mailbox, "INBOX") == 0 and count(mailbox, "failed") == 0


def test_a_line_built_to_stall_the_reply_cutter_does_not_hold_the_poll(db, mailbox):
    # mail-parser-reply's "On … wrote:" expression takes time in the cube of a line's length
    # on "On On On …": this line alone (30,000 characters) took minutes, a few megabytes of
    # it days, and every message behind it waited.
    requester, _tech, _stranger, ticket = people_and_ticket()
    to = signed(ticket)
    mailbox.append("INBOX", _raw(requester.email, to, "stall", "Bonjour\n" + "On On " * 5000))
    long_paragraph = " ".join(["Le serveur ne répond plus depuis ce matin."] * 60)
    mailbox.append("INBOX", _raw(requester.email, to, "long", long_paragraph))
    mailbox.append("INBOX", _raw(requester.email, to, "next", "Tout va bien."))
    started = time.monotonic()
    counts = fetch_mail().counts
    assert time.monotonic() - started < 15
    assert counts == {"held": 1, "appended": 2}
    assert ledger()[0].reason is HoldReason.TOO_LONG  # read to the end: over 10,000 characters
    words = [e.body for e in events(ticket, EventKind.COMMENT)]
    # A long line is read whole: cut for the expressions only, joined again after.
    assert words == [long_paragraph, "Tout va bien."]


def test_html_with_scripts_is_shown_as_its_text_escaped(db, mailbox, login):
    requester, tech, _stranger, ticket = people_and_ticket()
    html = (
        "<html><head><title>Titre</title><style>p {color: red}</style></head><body>"
        "<script>alert('xss')</script><p>L’écran affiche &lt;img src=x onerror=alert(1)&gt;"
        " <b>depuis</b> hier.</p><template><p>Texte caché</p></template>"
        "<svg><style>svg {}</style></svg><p>Merci</p></body></html>"
    )
    mailbox.append("INBOX", _raw(requester.email, signed(ticket), "html", html, kind="text/html"))
    assert fetch_mail().counts == {"appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    # The words, readable: no markup, no script or style, nothing a browser would not show.
    assert comment.body == "L’écran affiche <img src=x onerror=alert(1)> depuis hier.\nMerci"
    page = login(tech).get(f"/tickets/{ticket.reference}").get_data(as_text=True)
    assert "L’écran affiche &lt;img src=x onerror=alert(1)&gt; depuis hier." in page
    assert "<img src=x" not in page and "alert('xss')" not in page
