"""A real SMTP server (aiosmtpd on 127.0.0.1) with switchable failures, a worker sending
through it, and ticket helpers."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.support.worker import WorkerProcess


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    """Accepts messages into `messages`; can refuse, reject or hang like a real server would.

    - `refuse_next`: answer 451 (try again later) to that many DATA commands;
    - `reject`: addresses answered 550 at RCPT;
    - `hold`: when set, DATA waits (without replying) until `release` is set. A client that
      disconnects meanwhile cancels the transaction: the message is NOT accepted (a server
      that discards a finished message whose client left before the 250). With
      `hold_at = "rcpt"` the wait is at RCPT instead, before the message is sent at all.
    - `processing`: seconds the server spends on a fully received message before its 250;
      like a real MTA it keeps (and delivers) the message even if the client leaves meanwhile.
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.senders: list[str] = []  # each message's envelope sender (MAIL FROM), in order
        self.refuse_next = 0
        self.refused = 0
        self.reject: set[str] = set()
        self.hold = False
        self.hold_at = "data"
        self.holding = threading.Event()
        self.release = threading.Event()
        self.aborted = 0
        self.processing = 0.0
        self.received = threading.Event()  # set when a message's final dot arrived
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 No such user here"
        if self.hold and self.hold_at == "rcpt":
            await self._wait_for_release()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_next > 0:
            self.refuse_next -= 1
            self.refused += 1
            return "451 4.3.0 Try again later"
        if self.hold and self.hold_at == "data":
            await self._wait_for_release()
        self.received.set()
        if self.processing:
            # Shielded: the client hanging up cancels our reply, not the message.
            await asyncio.shield(self._keep(envelope, self.processing))
        else:
            self._keep_now(envelope)
        return "250 2.0.0 Accepted"

    async def _wait_for_release(self) -> None:
        self.holding.set()
        try:
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            self.aborted += 1
            raise

    async def _keep(self, envelope, delay: float) -> None:
        await asyncio.sleep(delay)
        self._keep_now(envelope)

    def _keep_now(self, envelope) -> None:
        with self._lock:
            self.senders.append(envelope.mail_from)
            self.messages.append(
                message_from_bytes(envelope.original_content, policy=policy.default)
            )

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@contextlib.contextmanager
def mail_sent_to(app, port: int) -> Iterator[None]:
    """The app's mail settings point at 127.0.0.1:`port` meanwhile, with no SMTP connection
    kept from before or after."""
    from desk.notifications import mailer

    saved = {k: app.config[k] for k in ("MAIL_HOST", "MAIL_PORT")}
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port)
    mailer.close()
    try:
        yield
    finally:
        mailer.close()
        app.config.update(saved)


@pytest.fixture
def smtp(app) -> Iterator[RecordingHandler]:
    """A real SMTP server; the app's mail settings point at it for the test."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port  # type: ignore[attr-defined]
    with mail_sent_to(app, port):
        yield handler
    handler.release.set()
    controller.stop()


@pytest.fixture
def worker(app, test_env, smtp) -> Iterator[WorkerProcess]:
    """A real Celery worker process (the test's Redis and database) that sends to `smtp`."""
    process = WorkerProcess(
        {**test_env, "DESK_MAIL_HOST": "127.0.0.1", "DESK_MAIL_PORT": str(smtp.port)}
    ).start()
    yield process
    process.stop()


@pytest.fixture
def clock(monkeypatch):
    """Set the outbox's idea of "now" (quiet hours are computed from it)."""

    def set_now(when: dt.datetime) -> None:
        monkeypatch.setattr("desk.notifications.outbox.utcnow", lambda: when)

    return set_now
