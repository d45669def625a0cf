"""A From line the university's own receiving server found forged (its Authentication-Results
says dmarc=fail) writes nothing on the ticket, even with the right reference: held for the
admins, who may retry it. Only that server's field counts (DESK_INBOUND_AUTHSERV_ID)."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from desk.inbound.headers import dmarc_result
from desk.inbound.models import HoldReason, InboundStatus
from desk.inbound.services import fetch_mail
from desk.tickets.models import EventKind
from tests.inbound.helpers import events, ledger, people_and_ticket
from tests.support.factories import make_user

SERVER = "mx.umontpellier.fr"


def _raw(sender: str, subject: str, body: str, results: list[str]) -> bytes:
    """As the university's server delivers it: its own field on top, then the message's."""
    fields = "".join(f"Authentication-Results: {r}\r\n" for r in results)
    return (
        f"{fields}From: {sender}\r\nTo: aide@univ.example\r\nSubject: {subject}\r\n"
        f"Message-ID: <{abs(hash((subject, body)))}@outside.example>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


FAIL = (
    f"{SERVER}; spf=fail smtp.mailfrom=evil.example; dkim=none;\r\n"
    "\tdmarc=fail (p=REJECT) header.from=umontpellier.fr"
)
PASS = f"{SERVER}; spf=pass smtp.mailfrom=umontpellier.fr; dkim=pass; dmarc=pass header.from=x"


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([FAIL], "fail"),
        ([PASS], "pass"),
        # A field the sender wrote with the same id lies below the server's own.
        ([PASS, FAIL], "pass"),
        ([FAIL, PASS], "fail"),
        # Another server's verdict, or none with the id: not ours to trust.
        (["mx.evil.example; dmarc=pass header.from=umontpellier.fr", FAIL], "fail"),
        (["mx.evil.example; dmarc=fail"], ""),
        ([f"{SERVER.upper()} 1; dkim=pass; DMARC=Fail header.from=x"], "fail"),
        ([f"{SERVER} (comment); none"], ""),
        ([f"{SERVER}; spf=pass"], ""),
        ([], ""),
    ],
)
def test_the_topmost_field_of_the_named_server_is_read(results, expected):
    assert dmarc_result(_raw("a@b.example", "s", "b", results), SERVER) == expected


def test_a_forged_from_line_writes_nothing_and_an_admin_may_retry_it(
    app, db, mailbox, login, monkeypatch
):
    monkeypatch.setitem(app.config, "INBOUND_AUTHSERV_ID", SERVER)
    requester, _tech, _stranger, ticket = people_and_ticket()
    subject = f"Re: [{ticket.reference}] écran"
    # A stranger's own domain would pass; here the From names the requester.
    mailbox.append("INBOX", _raw(requester.email, subject, "Fermez le ticket.", [FAIL]))
    mailbox.append("INBOX", _raw(requester.email, subject, "Toujours noir.", [PASS]))
    assert fetch_mail().counts == {"held": 1, "appended": 1}
    (comment,) = events(ticket, EventKind.COMMENT)
    assert comment.body == "Toujours noir."
    held = next(row for row in ledger() if row.status is InboundStatus.HELD)
    assert held.reason is HoldReason.FORGED and held.data["sender"] == requester.email

    admin = login(make_user(role=Role.ADMIN, locale="fr"))
    page = admin.get("/admin/inbound").get_data(as_text=True)
    assert "falsifiée" in page and requester.email in page
    admin.submit(f"/admin/inbound/{held.id}/retry", page="/admin/inbound")
    assert [e.body for e in events(ticket, EventKind.COMMENT)] == [
        "Toujours noir.",
        "Fermez le ticket.",
    ]


def test_without_the_server_named_the_field_is_not_read(app, db, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "INBOUND_AUTHSERV_ID", "")
    requester, _tech, _stranger, ticket = people_and_ticket()
    raw = _raw(requester.email, f"Re: [{ticket.reference}] x", "Merci.", [FAIL])
    mailbox.append("INBOX", raw)
    assert fetch_mail().counts == {"appended": 1}
