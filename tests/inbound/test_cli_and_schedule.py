"""`flask desk fetch-mail` and the beat entry, present only when a mailbox is configured."""

from __future__ import annotations

from desk.tickets.models import EventKind
from tests.inbound import samples
from tests.inbound.helpers import events, people_and_ticket, signed
from worker.schedule import inbound_entry


def test_fetch_mail_command_polls_once(app, app_ctx, inbound):
    requester, _tech, _stranger, ticket = people_and_ticket()
    (inbound / "new").mkdir(parents=True)
    raw = samples.thunderbird(sender=requester.email, to=signed(ticket), subject="Re: x")
    (inbound / "new" / "1.eml").write_bytes(raw)
    result = app.test_cli_runner().invoke(args=["desk", "fetch-mail"])
    assert result.exit_code == 0, result.output
    assert "appended 1" in result.output
    assert len(events(ticket, EventKind.COMMENT)) == 1


def test_fetch_mail_command_without_a_mailbox_says_so(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "INBOUND_MAILDIR", "")
    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", "")
    result = app.test_cli_runner().invoke(args=["desk", "fetch-mail"])
    assert result.exit_code != 0 and "DESK_INBOUND_MAILDIR" in result.output


def test_beat_polls_only_when_configured():
    off = {"INBOUND_MAILDIR": "", "INBOUND_IMAP_URL": "", "INBOUND_POLL_SECONDS": 60}
    assert inbound_entry(off) == {}
    on = {**off, "INBOUND_IMAP_URL": "imaps://u:p@h/INBOX", "INBOUND_POLL_SECONDS": 45}
    entry = inbound_entry(on)["inbound-fetch-mail"]
    assert entry["task"] == "desk.inbound.fetch_mail" and entry["schedule"] == 45.0
