"""Incoming-mail settings for a test: a reply address, a Maildir in a temporary folder."""

from __future__ import annotations

import pytest

from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture
from tests.support.dovecot import dovecot  # noqa: F401 - the real IMAP server fixture

REPLY_BASE = "desk@univ.example"


@pytest.fixture
def inbound(app, tmp_path, monkeypatch):
    """Incoming mail on: replies to desk+…@univ.example, a Maildir under tmp_path."""
    monkeypatch.setitem(app.config, "REPLY_ADDRESS", REPLY_BASE)
    monkeypatch.setitem(app.config, "INBOUND_MAILDIR", str(tmp_path / "mail-in"))
    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", "")
    return tmp_path / "mail-in"
