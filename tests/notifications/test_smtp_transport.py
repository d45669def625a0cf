"""SMTP transport security against a real aiosmtpd server: STARTTLS, implicit TLS, AUTH.

The certificates are throwaway self-signed ones made by the `openssl` binary. The mailer builds
its contexts with `ssl.create_default_context()`, which verifies the server and reads the
standard SSL_CERT_FILE variable when it loads the default CA bundle: a test trusts its
certificate through that variable, exactly as an operator would trust an internal CA.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from desk.notifications import delivery, mailer
from desk.notifications.models import Channel, DeliveryStatus
from tests.notifications.conftest import RecordingHandler, free_port
from tests.notifications.helpers import deliver_all, rows, submit
from tests.support.factories import make_user

S = DeliveryStatus
# aiosmtpd warns about auth_require_tls=False, which the SMTPS server needs (see tls_server).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
LOGIN, PASSWORD = "desk-relay", "s3cret-relay"


def _openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        reason = "the `openssl` binary is needed to make a throwaway TLS certificate"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true, so this is a failure, not a skip")
        pytest.skip(reason)
    return path


def _make_cert(directory: Path) -> tuple[Path, Path]:
    directory.mkdir()
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            _openssl(),
            "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Two unrelated self-signed certificates: the tests trust 'trusted' and never 'rogue'."""
    base = tmp_path_factory.mktemp("smtp-tls")
    return {name: _make_cert(base / name) for name in ("trusted", "rogue")}


class TLSHandler(RecordingHandler):
    """Also records, for each accepted message, the login and the TLS the session had."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            tls = server.transport.get_extra_info("ssl_object")
            self.sessions.append(
                {
                    "login": session.auth_data.login.decode() if session.authenticated else None,
                    "tls": tls.version() if tls is not None else None,
                    "starttls": session.ssl is not None,  # set by aiosmtpd after STARTTLS only
                }
            )
        return reply


class Authenticator:
    """Accepts LOGIN/PASSWORD only; remembers every attempt (and whether it came over TLS)."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, bool]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.attempts.append((login, server.transport.get_extra_info("ssl_object") is not None))
        if (login, password) != (LOGIN, PASSWORD):
            return AuthResult(success=False, handled=False)  # aiosmtpd then answers 535
        return AuthResult(success=True, auth_data=auth_data)


Server = Callable[..., TLSHandler]


@pytest.fixture
def tls_server(app, certs, monkeypatch) -> Iterator[Server]:
    """Start a TLS SMTP server demanding AUTH over TLS; point the app at it with `mode`."""
    controllers: list[Controller] = []

    def start(mode: str, *, cert: str = "trusted", password: str = PASSWORD) -> TLSHandler:
        cert_file, key_file = certs[cert]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        handler, authenticator, port = TLSHandler(), Authenticator(), free_port()
        tls = {"ssl_context": context} if mode == "ssl" else {"tls_context": context}
        controller = Controller(
            handler,
            hostname="127.0.0.1",
            port=port,
            require_starttls=mode == "starttls",
            auth_required=True,
            authenticator=authenticator,
            # aiosmtpd only counts STARTTLS as TLS here and would hide AUTH on an SMTPS
            # connection (aio-libs/aiosmtpd#281); Authenticator checks TLS itself.
            auth_require_tls=mode == "starttls",
            **tls,
        )
        controller.start()
        controllers.append(controller)
        handler.auth = authenticator  # type: ignore[attr-defined]
        for key, value in {
            "MAIL_HOST": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_USE_STARTTLS": mode == "starttls",
            "MAIL_USE_SSL": mode == "ssl",
            "MAIL_USERNAME": LOGIN,
            "MAIL_PASSWORD": password,
        }.items():
            monkeypatch.setitem(app.config, key, value)
        # The mailer creates its SSL context per connection, so setting this now is in time.
        monkeypatch.setenv("SSL_CERT_FILE", str(certs["trusted"][0]))
        mailer.close()
        return handler

    yield start
    mailer.close()
    for controller in controllers:
        controller.stop()


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_delivered_over_verified_tls_with_login(db, tls_server, mode):
    server = tls_server(mode)
    requester = make_user(email="alice@umontpellier.fr")
    submit(requester)
    assert deliver_all() == ["sent"]
    (message,) = server.messages
    assert message["To"] == "alice@umontpellier.fr"
    (session,) = server.sessions
    assert session["login"] == LOGIN
    assert session["tls"] in ("TLSv1.2", "TLSv1.3")
    assert session["starttls"] is (mode == "starttls")
    assert server.auth.attempts == [(LOGIN, True)]  # the password only ever travelled in TLS
    (row,) = rows(Channel.EMAIL)
    assert row.status is S.SENT and row.last_error == ""


def test_wrong_password_is_retried_with_the_reason_then_failed(db, tls_server, app, monkeypatch):
    """A 535 is the relay's configuration, not this message's fault: the row is retried (so
    a corrected password still delivers it, see below) and fails after the last attempt."""
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 2)
    server = tls_server("starttls", password="not-the-password")
    submit(make_user())
    (row,) = rows(Channel.EMAIL)
    first = delivery.deliver(row.id)
    assert first.status == "retry"
    (row,) = rows(Channel.EMAIL)
    assert row.status is S.PENDING
    assert "SMTP authentication failed" in row.last_error and "535" in row.last_error
    assert delivery.deliver(row.id, now=first.retry_at).status == "failed"
    (row,) = rows(Channel.EMAIL)
    assert row.status is S.FAILED and row.attempts == 2 and "535" in row.last_error
    assert server.messages == []
    # smtplib tries each mechanism (PLAIN, then LOGIN), all of them inside TLS
    assert len(server.auth.attempts) >= 2 and set(server.auth.attempts) == {(LOGIN, True)}


def test_corrected_password_delivers_the_retried_row(db, tls_server, app, monkeypatch):
    server = tls_server("starttls", password="not-the-password")
    submit(make_user())
    (row,) = rows(Channel.EMAIL)
    first = delivery.deliver(row.id)
    assert first.status == "retry" and server.messages == []
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", PASSWORD)  # the operator fixes it
    assert delivery.deliver(row.id, now=first.retry_at).status == "sent"
    assert len(server.messages) == 1 and server.sessions[0]["login"] == LOGIN


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_untrusted_certificate_is_refused_before_login(db, tls_server, mode):
    server = tls_server(mode, cert="rogue")
    submit(make_user())
    assert deliver_all() == ["retry"]
    (row,) = rows(Channel.EMAIL)
    assert row.status is S.PENDING
    assert "SMTP connection failed" in row.last_error
    assert "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert server.messages == []
    assert server.auth.attempts == []  # the credentials were never sent to that server


def _nagle_off() -> bool:
    conn = mailer._connection["conn"]
    return conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_kept_tls_connection_sends_the_final_dot_without_waiting(db, tls_server, mode):
    # With Nagle on, the "." after the body waited for the server's delayed ACK: ~40 ms per
    # message, which capped a worker at ~20 e-mails/s per process.
    tls_server(mode)
    submit(make_user(email="alice@umontpellier.fr"))
    assert deliver_all() == ["sent"]
    assert _nagle_off()


def test_kept_plain_connection_sends_the_final_dot_without_waiting(db, smtp):
    submit(make_user(email="alice@umontpellier.fr"))
    assert deliver_all() == ["sent"]
    assert _nagle_off()
    mailer.close()
