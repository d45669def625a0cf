"""Incoming-mail settings for a test: a reply address, a Maildir in a temporary folder."""

from __future__ import annotations

import ssl

import pytest
from imapclient import IMAPClient

from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture
from tests.support.dovecot import (
    PASSWORD,
    USER,
    dovecot,  # noqa: F401 - the real IMAP server fixture
)

REPLY_BASE = "desk@univ.example"


@pytest.fixture
def inbound(app, tmp_path, monkeypatch):
    """Incoming mail on: replies to desk+…@univ.example, a Maildir under tmp_path."""
    monkeypatch.setitem(app.config, "REPLY_ADDRESS", REPLY_BASE)
    monkeypatch.setitem(app.config, "INBOUND_MAILDIR", str(tmp_path / "mail-in"))
    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", "")
    return tmp_path / "mail-in"


@pytest.fixture
def mailbox(app, request, inbound, monkeypatch):
    """An IMAP client on the test server, every folder emptied; desk reads INBOX over IMAPS."""
    server = request.getfixturevalue("dovecot")
    monkeypatch.setitem(app.config, "INBOUND_MAILDIR", "")
    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", server.url(tls="imaps"))
    monkeypatch.setitem(app.config, "INBOUND_IMAP_CAFILE", server.cafile)
    context = ssl.create_default_context(cafile=server.cafile)
    client = IMAPClient("127.0.0.1", port=server.imaps_port, ssl=True, ssl_context=context)
    client.login(USER, PASSWORD)
    for folder in ("INBOX", "processed", "failed"):
        if client.folder_exists(folder):
            client.select_folder(folder)
            uids = client.search("ALL")
            if uids:
                client.delete_messages(uids)
                client.expunge()
    # Nothing selected: STATUS on a selected mailbox may answer from the session's cache.
    client.select_folder("INBOX")
    client.unselect_folder()
    yield client
    client.logout()


def count(client: IMAPClient, folder: str) -> int:
    return client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"]
