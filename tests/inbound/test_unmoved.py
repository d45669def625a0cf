"""A mailbox that refuses to move a handled message (its folder closed by an ACL on a real
Dovecot, a Maildir folder the file system refuses): the poll goes on with the others, the
message is never handled twice when it is read again, and the operator sees it."""

from __future__ import annotations

import json
import os
import re

import pytest
from sqlalchemy import select

from desk.inbound.services import fetch_mail
from desk.notifications.models import Channel
from desk.tickets.models import EventKind, Ticket
from tests.inbound import samples
from tests.inbound.conftest import count
from tests.inbound.helpers import events, ledger, people_and_ticket, signed
from tests.inbound.test_services import drop, subject_of
from tests.notifications.helpers import rows
from tests.support.dovecot import DOVECOT, USER, running_dovecot
from tests.support.factories import make_request_type

# The ACL plugin, read again at every login (desk opens one connection a poll): a folder
# whose dovecot-acl file takes the owner's insert right answers MOVE with NO [NOPERM].
ACL = """
mail_plugins = $mail_plugins acl
protocol imap {
  mail_plugins = $mail_plugins imap_acl
}
plugin {
  acl = vfile:cache_secs=0
}
"""


@pytest.fixture(scope="module")
def dovecot():
    """This module's own Dovecot, with the ACL plugin (the `mailbox` fixture uses it)."""
    if not os.path.exists(DOVECOT):
        if os.environ.get("CI"):
            pytest.fail("dovecot-imapd is not installed (.ci/run installs it)")
        pytest.skip("dovecot-imapd is not installed")
    with running_dovecot(ACL) as server:
        yield server


class Rights:
    """A folder's dovecot-acl file: `close` takes desk's right to put messages there (what
    an operator's mistake or a shared mailbox's owner does), `reopen` gives it back."""

    def __init__(self, server, mailbox):
        self.server, self.mailbox = server, mailbox

    def _file(self, folder: str):
        return self.server.tmp / "home" / USER / "Maildir" / f".{folder}" / "dovecot-acl"

    def close(self, folder: str) -> None:
        if not self.mailbox.folder_exists(folder):
            self.mailbox.create_folder(folder)
        self._file(folder).write_text("owner lrwstekxa\n")  # all but i (insert), p (post)

    def reopen(self, folder: str) -> None:
        self._file(folder).unlink(missing_ok=True)


@pytest.fixture
def rights(dovecot, mailbox):
    folders = Rights(dovecot, mailbox)
    yield folders
    for folder in ("processed", "failed"):
        folders.reopen(folder)


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _gauge(client, name: str) -> float:
    text = client.get("/metrics", headers={"Authorization": "Bearer unmoved-token"}).text
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"{name} not in:\n{text}"
    return float(match.group(1))


def test_a_refused_move_leaves_the_message_the_poll_goes_on_and_nothing_is_done_twice(
    app, db, client, mailbox, rights, capsys, monkeypatch
):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "unmoved-token")
    requester, _tech, _stranger, ticket = people_and_ticket()
    ticket.queue.inbound_address = "aide@univ.example"
    make_request_type(form_key="email_request", queue=ticket.queue)
    rights.close("processed")
    new = samples.outlook_fr(
        sender=requester.email, to="aide@univ.example", subject="Wi-Fi", words="Plus de Wi-Fi."
    )
    mailbox.append("INBOX", new)  # first: the messages after it must not wait
    reply = samples.thunderbird(
        sender=requester.email, to=signed(ticket), subject=subject_of(ticket)
    )
    mailbox.append("INBOX", reply)
    monkeypatch.setitem(app.config, "INBOUND_MAX_MB", 1)
    huge = samples.gmail(sender=requester.email, to=signed(ticket), subject="x", words="x" * 2**21)
    mailbox.append("INBOX", huge)  # to `failed`, which takes it

    assert fetch_mail().counts == {"created": 1, "appended": 1, "failed": 1, "unmoved": 2}
    assert count(mailbox, "INBOX") == 2 and count(mailbox, "failed") == 1
    created = db.session.scalars(select(Ticket).where(Ticket.id != ticket.id)).one()
    acknowledgements = len(rows(Channel.EMAIL, ticket_id=created.id))
    assert acknowledgements >= 1
    logged = _lines(capsys.readouterr().out)
    stuck = [e for e in logged if "stays in the mailbox" in e["message"]]
    assert [e["level"] for e in stuck] == ["WARNING", "WARNING"]
    assert "NOPERM" in stuck[0]["message"] and stuck[0]["source"] == "imap"
    assert {e["message_id"] for e in stuck} == {r.message_id for r in ledger()[:2]}
    assert _gauge(client, 'desk_inbound_poll_unmoved{source="imap"}') == 1
    assert _gauge(client, 'desk_inbound_poll_failing{source="imap"}') == 0
    assert _gauge(client, 'desk_inbound_poll_lag_seconds{source="imap"}') < 60

    # Read again at the next poll: recorded already, so nothing is done a second time.
    assert fetch_mail().counts == {"duplicate": 2, "unmoved": 2}
    assert db.session.scalar(select(Ticket.id).where(Ticket.id != ticket.id)) == created.id
    assert len(db.session.scalars(select(Ticket)).all()) == 2
    assert len(rows(Channel.EMAIL, ticket_id=created.id)) == acknowledgements
    assert len(events(ticket, EventKind.COMMENT)) == 1
    assert len(ledger()) == 3

    # The operator gives desk its right back: the next poll moves them, still once.
    rights.reopen("processed")
    assert fetch_mail().counts == {"duplicate": 2}
    assert count(mailbox, "INBOX") == 0 and count(mailbox, "processed") == 2
    assert len(events(ticket, EventKind.COMMENT)) == 1
    assert len(rows(Channel.EMAIL, ticket_id=created.id)) == acknowledgements
    assert _gauge(client, 'desk_inbound_poll_unmoved{source="imap"}') == 0


def test_a_maildir_folder_that_refuses_a_message_leaves_it_and_reads_the_others(db, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    first = samples.outlook_fr(
        sender=requester.email, to=signed(ticket), subject=subject_of(ticket), words="Un."
    )
    second = samples.gmail(
        sender=requester.email, to=signed(ticket), subject=subject_of(ticket), words="Deux."
    )
    drop(inbound, "1.eml", first)
    drop(inbound, "2.eml", second)
    # A directory of its name where the first must go: refused even to root.
    (inbound / "processed" / "1.eml" / "x").mkdir(parents=True)
    assert fetch_mail().counts == {"appended": 2, "unmoved": 1}
    assert (inbound / "new" / "1.eml").exists() and (inbound / "processed" / "2.eml").is_file()
    assert fetch_mail().counts == {"duplicate": 1, "unmoved": 1}
    assert [e.body for e in events(ticket, EventKind.COMMENT)] == ["Un.", "Deux."]
