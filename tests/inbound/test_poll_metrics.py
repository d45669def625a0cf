"""What an operator watches of the mail poll: each mailbox's lag and failure, the messages held
or failed for an admin; a real Dovecot refusing desk's login, then accepting it."""

from __future__ import annotations

import ipaddress
import json
import math
import re

import pytest

from desk.inbound.services import fetch_mail
from tests.inbound import samples
from tests.inbound.helpers import people_and_ticket, signed
from tests.inbound.test_services import drop, subject_of
from tests.support.dovecot import PASSWORD

TOKEN = {"Authorization": "Bearer poll-metrics-token"}


@pytest.fixture
def metrics_access(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "poll-metrics-token")
    monkeypatch.setitem(
        app.config, "METRICS_ALLOWED_NETWORKS", [ipaddress.ip_network("10.9.0.0/16")]
    )


def _value(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"{name} not in:\n{text}"
    return float(match.group(1))


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_failing_imap_mailbox_shows_in_its_metrics_and_recovers(
    app, db, client, mailbox, inbound, metrics_access, monkeypatch, capsys
):
    good_url = app.config["INBOUND_IMAP_URL"]
    monkeypatch.setitem(app.config, "INBOUND_MAILDIR", str(inbound))  # both sources polled
    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", good_url.replace(PASSWORD, "wrong"))
    # Before any poll: never read is an infinite lag, not "fine".
    text = client.get("/metrics", headers=TOKEN).text
    assert math.isinf(_value(text, 'desk_inbound_poll_lag_seconds{source="imap"}'))

    _requester, _tech, stranger, ticket = people_and_ticket()
    held = samples.thunderbird(sender=stranger.email, to=signed(ticket), subject=subject_of(ticket))
    drop(inbound, "1.eml", held)
    drop(inbound, "2.eml", b"\x00\x01\x02 garbage")
    assert fetch_mail().counts == {"held": 1, "failed": 1, "source_error": 1}

    text = client.get("/metrics", headers=TOKEN).text
    assert _value(text, 'desk_inbound_poll_failing{source="imap"}') == 1
    assert math.isinf(_value(text, 'desk_inbound_poll_lag_seconds{source="imap"}'))
    assert _value(text, 'desk_inbound_poll_failing{source="maildir"}') == 0
    assert _value(text, 'desk_inbound_poll_lag_seconds{source="maildir"}') < 60
    assert _value(text, 'desk_inbound_messages{status="held"}') == 1
    assert _value(text, 'desk_inbound_messages{status="failed"}') == 1
    logged = _lines(capsys.readouterr().out)
    refused = [e for e in logged if e.get("source") == "imap" and e["level"] == "ERROR"]
    assert refused and "exc_info" in refused[0]
    read = [e for e in logged if e.get("source") == "maildir" and e["level"] == "INFO"]
    assert read and read[0]["counts"] == {"held": 1, "failed": 1}

    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", good_url)  # the password fixed
    assert fetch_mail().counts == {}
    text = client.get("/metrics", headers=TOKEN).text
    assert _value(text, 'desk_inbound_poll_failing{source="imap"}') == 0
    assert _value(text, 'desk_inbound_poll_lag_seconds{source="imap"}') < 60


def test_no_mailbox_no_poll_metrics(app, client, metrics_access, monkeypatch):
    monkeypatch.setitem(app.config, "INBOUND_MAILDIR", "")
    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", "")
    assert "desk_inbound_poll" not in client.get("/metrics", headers=TOKEN).text


def test_a_mailbox_down_all_night_logs_one_traceback_then_short_lines_then_its_return(
    app, db, client, mailbox, metrics_access, monkeypatch, capsys
):
    from tests.support.dovecot import free_port

    good_url = app.config["INBOUND_IMAP_URL"]
    down = re.sub(r":\d+/", f":{free_port()}/", good_url)  # nothing listens there
    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", down)
    for _ in range(3):
        assert fetch_mail().counts == {"source_error": 1}
    logged = [e for e in _lines(capsys.readouterr().out) if e.get("source") == "imap"]
    assert [(e["level"], "exc_info" in e) for e in logged] == [
        ("ERROR", True),  # it starts failing: the whole traceback, once
        ("WARNING", False),
        ("WARNING", False),
    ]
    assert "cannot open the imap source, still" in logged[1]["message"]
    assert "ConnectionRefusedError" in logged[1]["message"] and "never" in logged[1]["message"]
    text = client.get("/metrics", headers=TOKEN).text
    assert _value(text, 'desk_inbound_poll_failing{source="imap"}') == 1

    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", good_url)  # the server is back
    assert fetch_mail().counts == {}
    assert fetch_mail().counts == {}
    logged = [e for e in _lines(capsys.readouterr().out) if e.get("source") == "imap"]
    assert [(e["level"], e["message"]) for e in logged] == [
        ("INFO", "inbound: the imap source is read again (last good poll before this one: never)")
    ]
    text = client.get("/metrics", headers=TOKEN).text
    assert _value(text, 'desk_inbound_poll_failing{source="imap"}') == 0

    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", down)  # down again: a new traceback
    assert fetch_mail().counts == {"source_error": 1}
    logged = [e for e in _lines(capsys.readouterr().out) if e.get("source") == "imap"]
    assert [(e["level"], "exc_info" in e) for e in logged] == [("ERROR", True)]
