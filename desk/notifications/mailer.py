"""Build a threaded multipart e-mail and hand it to the SMTP server.

Each worker process keeps one SMTP connection open between tasks (a new TCP + EHLO (+ TLS +
AUTH) per message would cost more than the message). A reused connection the server has
closed fails on MAIL FROM, before anything was accepted, so reconnecting then is safe.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from desk.inbound.address import message_signature, reply_address
from desk.notifications.mime import InvalidAddress, OutgoingMail, encode, valid_address


class DeliveryError(Exception):
    """Sending failed; `permanent` means trying again cannot help (5xx, bad address);
    `uncertain` means the whole message was handed over and no answer came back: the server
    may have accepted it, so sending it again could duplicate it."""

    def __init__(self, reason: str, *, permanent: bool, uncertain: bool = False):
        super().__init__(reason)
        self.reason = reason[:1000]
        self.permanent = permanent
        self.uncertain = uncertain


class _NoFinalReply(Exception):
    """The connection failed after the final dot was sent, before the server's reply."""


def mail_host() -> str:
    """The domain used in Message-IDs and EHLO: the public site's host name."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def thread_id(reference: str) -> str:
    """The (virtual) root message of a ticket's thread: every mail about it refers to it."""
    return f"<ticket-{reference}@{mail_host()}>"


def message_id(reference: str, notification_id: int) -> str:
    """The Message-ID of one notification e-mail (desk.inbound reads it back), signed so that
    an answer naming it proves its sender read it."""
    signature = message_signature(notification_id, current_app.config["SECRET_KEY"])
    return f"<ticket-{reference}.notif-{notification_id}.{signature}@{mail_host()}>"


# At most this many Message-IDs in the References of an answer: the first (the thread's
# root) and the newest, as mail clients trim a long thread's (the line stays readable).
MAX_REFERENCES = 12


def thread_headers(reference: str, answers: dict[str, Any] | None) -> dict[str, str]:
    """In-Reply-To and References of an e-mail about `reference` ("digest": about no ticket).

    Every e-mail about a ticket refers to its thread's root, so that clients show them as one
    conversation (digests and alerts have a thread of their own). One that answers a message
    someone sent desk (`answers`: that message's Message-ID and References, desk.inbound) is
    its reply as RFC 5322 §3.6.4 says: In-Reply-To names it, References are its References
    then its Message-ID, so that the sender's client threads the answer under their own
    message; a ticket's root stays first (unless there already), so that its e-mails join
    one thread. Those of a ticket filed by e-mail all answer that e-mail (its `answers` then,
    notifications.models.answered_message): the sender's client has it in its Sent folder,
    never the root, so each lands under the message they sent.
    """
    parent = (answers or {}).get("message_id")
    if not parent:
        return {"In-Reply-To": thread_id(reference), "References": thread_id(reference)}
    # An answer about no ticket (a new request refused) is in the sender's thread alone.
    root = thread_id(reference) if reference != "digest" else None
    chain = [f"<{i}>" for i in (answers or {}).get("references") or []] + [f"<{parent}>"]
    if root is not None and root not in chain:
        chain.insert(0, root)
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[1 - MAX_REFERENCES :]
    return {"In-Reply-To": f"<{parent}>", "References": " ".join(chain)}


def build_message(
    *,
    notification_id: int,
    reference: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    staff: bool = False,
    locale: str | None = None,
    auto_submitted: str = "auto-generated",
    reply_to: str = "",
    answers: dict[str, Any] | None = None,
) -> OutgoingMail:
    """A text + HTML message whose headers let mail clients thread one ticket's mails;
    `staff`: sent to staff, whose reply address lets them answer as staff (desk.inbound);
    `locale`: the language it is written in (None: the default one), which its From's name
    follows too (the address is the same in every language); `auto_submitted`: RFC 3834's
    "auto-replied" for an answer to a message someone sent desk; `reply_to`: where an answer
    about no ticket leads (a ticket's e-mails get its signed reply address instead);
    `answers`: the message it answers, if any (`thread_headers`)."""
    headers = {
        # Kept recoverable: an answer's In-Reply-To names the notification row, so its ticket.
        "Message-ID": message_id(reference, notification_id),
        **thread_headers(reference, answers),
        # RFC 3834: no out-of-office replies to robots; Exchange has its own header.
        "Auto-Submitted": auto_submitted,
        "X-Auto-Response-Suppress": "All",
    }
    base = current_app.config["REPLY_ADDRESS"]
    if base and reference != "digest":
        secret = current_app.config["SECRET_KEY"]
        headers["Reply-To"] = reply_address(base, reference, secret, staff=staff)
    elif valid_address(reply_to):  # a queue's address from the reference file is unchecked
        headers["Reply-To"] = reply_to
    english = (locale or current_app.config["BABEL_DEFAULT_LOCALE"])[:2] == "en"
    mail_from = current_app.config["MAIL_FROM_EN" if english else "MAIL_FROM"]
    try:
        return encode(
            to=to, subject=subject, text=text, html=html, headers=headers, mail_from=mail_from
        )
    except InvalidAddress:
        raise DeliveryError(f"invalid recipient address: {to!r}", permanent=True) from None


_connection: dict[str, Any] = {}


def _no_delay(conn: smtplib.SMTP) -> None:
    """Turn off Nagle's algorithm on the SMTP socket (starttls keeps the option).

    Each message ends with a small write (the final ".") right after the body: with Nagle on,
    the kernel holds it until the body is acknowledged, and the server delays that ACK (up
    to 40 ms on Linux) — about 40 ms per message, the worker's whole budget (39 e-mails/s on
    2 processes before this, measured by bench/notifications.py).
    """
    with contextlib.suppress(OSError, AttributeError):
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _open(config: dict[str, Any]) -> smtplib.SMTP:
    host, port, timeout = config["MAIL_HOST"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        conn: smtplib.SMTP = smtplib.SMTP_SSL(
            host,
            port,
            local_hostname=mail_host(),
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        _no_delay(conn)
    else:
        conn = smtplib.SMTP(host, port, local_hostname=mail_host(), timeout=timeout)
        _no_delay(conn)
        if config["MAIL_USE_STARTTLS"]:
            conn.starttls(context=ssl.create_default_context())
    conn.ehlo_or_helo_if_needed()
    if config["MAIL_USERNAME"]:
        conn.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return conn


def _cached(config: dict[str, Any]) -> tuple[smtplib.SMTP, bool]:
    """(connection, reused?) for this process; a forked child never reuses its parent's."""
    key = (os.getpid(), config["MAIL_HOST"], config["MAIL_PORT"], config["MAIL_USERNAME"])
    if _connection.get("key") == key:
        return _connection["conn"], True
    close()
    conn = _open(config)
    _connection.update(key=key, conn=conn)
    return conn, False


def _session(config: dict[str, Any]) -> tuple[smtplib.SMTP, bool]:
    """`_cached`, with a refusal before any message (a 554 greeting, EHLO or STARTTLS refused)
    told as the server's state, not this message's: a relay that refuses our address until
    its administrator lets it in must not fail every e-mail for good. Retried, then failed."""
    try:
        return _cached(config)
    except smtplib.SMTPAuthenticationError:
        raise  # told as such below
    except smtplib.SMTPResponseException as exc:
        close()
        raise DeliveryError(
            f"SMTP server refused the session: {exc.smtp_code} {_text(exc.smtp_error)}",
            permanent=False,
        ) from exc


def close() -> None:
    """Drop this process's SMTP connection."""
    conn = _connection.pop("conn", None)
    _connection.pop("key", None)
    if conn is not None:
        with contextlib.suppress(OSError):
            conn.close()


def send(message: OutgoingMail, *, before_final_dot: Callable[[], None] | None = None) -> None:
    """Send `message` to its recipient; raise DeliveryError saying whether to retry.

    `before_final_dot` runs once the whole message is on the wire but for the "." that ends
    it: up to then a failure leaves nothing at the server (it discards an unfinished
    transaction), after it the server may accept the message whatever happens to us.
    """
    config = current_app.config
    sender = message.sender
    try:
        conn, reused = _session(config)
        try:
            code, reply = conn.mail(sender)
        except smtplib.SMTPServerDisconnected:
            if not reused:
                raise
            code, reply = 421, b"connection closed while idle"
        if code == 421 and reused:
            # The idle connection timed out on the server side: a silent close, or (Postfix,
            # Exim, Sendmail) "421 ... timeout exceeded" written before it, read now as the
            # answer to MAIL. Nothing was sent: open a new one.
            close()
            conn, _reused = _session(config)
            code, reply = conn.mail(sender)
        if code != 250:
            _reset(conn)
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = conn.rcpt(message.to)
        if code not in (250, 251):
            _reset(conn)
            raise smtplib.SMTPRecipientsRefused({message.to: (code, reply)})
        code, reply = _data(conn, message.data, before_final_dot)
        if code != 250:
            _reset(conn)
            raise smtplib.SMTPDataError(code, reply)
    except _NoFinalReply as exc:
        close()
        raise DeliveryError(
            f"no reply to the end of the message: {exc.__cause__!r}",
            permanent=False,
            uncertain=True,
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        raise _refused(code, reply, "recipient refused") from exc
    except smtplib.SMTPAuthenticationError as exc:
        close()  # a configuration problem, not this message's: retried, then failed
        raise DeliveryError(
            f"SMTP authentication failed: {exc.smtp_code} {_text(exc.smtp_error)}",
            permanent=False,
        ) from exc
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code == 421:
            close()
        raise _refused(exc.smtp_code, exc.smtp_error, type(exc).__name__) from exc
    except (smtplib.SMTPException, OSError) as exc:  # disconnects, refused, timeouts, TLS
        close()
        raise DeliveryError(f"SMTP connection failed: {exc!r}", permanent=False) from exc


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _data(
    conn: smtplib.SMTP, data: bytes, before_final_dot: Callable[[], None] | None
) -> tuple[int, bytes]:
    """SMTP DATA as `smtplib.SMTP.data` does it, with a hook before the final dot."""
    code, reply = conn.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    body = _LEADING_DOT.sub(b"..", data)  # dot-stuffing (RFC 5321 4.5.2)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    conn.send(body)
    if before_final_dot is not None:
        try:
            before_final_dot()
        except BaseException:
            close()  # the unfinished transaction is discarded by the server
            raise
    conn.send(b".\r\n")
    try:
        return conn.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise _NoFinalReply() from exc


def _reset(conn: smtplib.SMTP) -> None:
    try:
        conn.rset()
    except (smtplib.SMTPException, OSError):
        close()


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _refused(code: int, reply: bytes | str, what: str) -> DeliveryError:
    return DeliveryError(f"{what}: {code} {_text(reply)}", permanent=500 <= code < 600)
