"""The wire form of a notification e-mail: text + HTML alternatives, threaded by ticket.

Written directly rather than through `email.message`: the same RFC 5322/2045 output for this
one fixed shape, but the standard library's header folding and pure-Python quoted-printable
cost more CPU than the rest of a delivery together (see bench/notifications.py). Only our own
ASCII values and validated addresses go into plain headers; the subject (user text) and a
non-ASCII sender name are RFC 2047-encoded by `email.header`; bodies are quoted-printable
(binascii, in C), so the message is 7-bit clean for any relay.
"""

from __future__ import annotations

import binascii
import re
import uuid
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr

from flask import current_app

from desk.core.db import utcnow

# Deliberately simple: one @, no spaces or header-breaking characters, a dot in the domain.
_ADDRESS = re.compile(r"[^@\s<>\"(),;:\\\[\]]+@[^@\s<>\"(),;:\\\[\]]+\.[A-Za-z0-9-]{2,}")
CRLF = "\r\n"


class InvalidAddress(ValueError):
    """The recipient address cannot be used (empty, not ASCII, not one address)."""


@dataclass(frozen=True)
class OutgoingMail:
    """An encoded message and its envelope."""

    sender: str
    to: str
    data: bytes


def valid_address(address: str | None) -> bool:
    """True for one plain ASCII address (what we accept to put in To and RCPT TO)."""
    return bool(address) and address.isascii() and bool(_ADDRESS.fullmatch(address))


def _qp(body: str) -> str:
    encoded = binascii.b2a_qp(body.replace("\r\n", "\n").encode("utf-8")).decode("ascii")
    return encoded.replace("\n", CRLF)


def _sender(config_value: str) -> tuple[str, str]:
    name, address = parseaddr(config_value)
    return (formataddr((name, address), charset="utf-8") if name else address), address


def encode(*, to: str, subject: str, text: str, html: str, headers: dict[str, str]) -> OutgoingMail:
    """The complete message; `headers` are extra ASCII headers (Message-ID, References...)."""
    if not valid_address(to):
        raise InvalidAddress(to)
    from_header, envelope_sender = _sender(current_app.config["MAIL_FROM"])
    one_line = " ".join(subject.split())  # no CR/LF can reach the header block
    boundary = f"=_desk_{uuid.uuid4().hex}"
    lines = [
        f"From: {from_header}",
        f"To: {to}",
        "Subject: " + Header(one_line, "utf-8", header_name="Subject").encode(linesep=CRLF),
        f"Date: {format_datetime(utcnow())}",
        *(f"{name}: {value}" for name, value in headers.items()),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "",
    ]
    for subtype, body in (("plain", text), ("html", html)):
        lines += [
            f"--{boundary}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
            "",
            _qp(body),
        ]
    lines += [f"--{boundary}--", ""]
    return OutgoingMail(envelope_sender, to, CRLF.join(lines).encode("ascii"))
