"""An SMTP server that refuses the session itself (its greeting or EHLO answered 5xx: a relay
that does not yet accept desk's address, a server in maintenance) says nothing about any
message: every e-mail waits for a retry rather than failing for good on its first try."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from desk.notifications.models import Channel, DeliveryStatus
from tests.notifications.conftest import free_port, mail_sent_to
from tests.notifications.helpers import deliver_all, rows, submit
from tests.support.factories import make_user


class RefusingServer:
    """A TCP server speaking just enough SMTP (RFC 5321 4.3.2) to refuse: its greeting is
    `greeting`; with a 220 greeting, EHLO and HELO are answered `ehlo`. Then it hangs up."""

    def __init__(self, greeting: bytes, ehlo: bytes = b"") -> None:
        self.greeting, self.ehlo = greeting, ehlo
        self.sessions = 0
        self._socket = socket.create_server(("127.0.0.1", free_port()))
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            with conn:
                self.sessions += 1
                conn.sendall(self.greeting)
                if self.greeting.startswith(b"220"):
                    reader = conn.makefile("rb")
                    for _ in range(2):  # EHLO, then smtplib's HELO fallback
                        if not reader.readline():
                            break
                        conn.sendall(self.ehlo)

    def stop(self) -> None:
        self._socket.close()


@pytest.fixture(
    params=[
        (b"554 5.7.1 relay.example: no SMTP service for you here\r\n", b""),
        (b"220 relay.example ESMTP\r\n", b"550 5.7.1 Access denied\r\n"),
    ],
    ids=["greeting", "ehlo"],
)
def refusing_smtp(app, request) -> Iterator[RefusingServer]:
    server = RefusingServer(*request.param)
    with mail_sent_to(app, server.port):
        yield server
    server.stop()


def test_a_session_refused_by_the_server_is_retried_not_failed(db, refusing_smtp):
    submit(make_user(email="alice@umontpellier.fr"))
    submit(make_user(email="bob@umontpellier.fr"))
    assert deliver_all() == ["retry", "retry"]
    assert refusing_smtp.sessions >= 2  # each e-mail asked again: nothing kept from the first
    for row in rows(Channel.EMAIL):
        assert row.status is DeliveryStatus.PENDING
        assert row.attempts == 1
        assert "refused the session" in row.last_error
        assert "5" in row.last_error[:60]
