"""The wire form of a notification e-mail: text + HTML alternatives, threaded by ticket.

Built with the standard library's `email` package, its compat32 API (`MIMEMultipart`,
`MIMEText`, `Header`) with CRLF line endings: non-ASCII headers become RFC 2047 encoded
words, both bodies are quoted-printable so the message is 7-bit clean for any relay, and a
header value carrying CR or LF is refused. The newer `EmailMessage` API gives the same wire
form but parses and refolds every header it is given: 1.3 ms per message against 0.4 ms
here, measured on the worker, where e-mails are most of a new ticket's cost
(bench/submit.py prints the worker's share).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr

from flask import current_app

from desk.core.db import utcnow

# ASCII headers are written unfolded (up to RFC 5322's 998 characters): a folded line that
# mixes plain and encoded words is read back with two spaces ("Imprimante  bloquée") by some
# readers. Non-ASCII ones are encoded words only (see _encoded_words).
_WIRE = compat32.clone(linesep="\r\n", max_line_length=998)
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = QP
_UTF8.body_encoding = QP

# Deliberately simple: one @, no spaces or header-breaking characters, a dot in the domain.
_ADDRESS = re.compile(r"[^@\s<>\"(),;:\\\[\]]+@[^@\s<>\"(),;:\\\[\]]+\.[A-Za-z0-9-]{2,}")


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


def _encoded_words(name: str, value: str) -> str:
    """A non-ASCII header value as RFC 2047 encoded words of at most 75 characters each, one
    per folded line (only whitespace between encoded words, which readers drop: no doubled
    space). Encoded here because the message's policy would otherwise write one long word."""
    return Header(value, _UTF8, header_name=name).encode(linesep="\r\n", maxlinelen=76)


def encode(*, to: str, subject: str, text: str, html: str, headers: dict[str, str]) -> OutgoingMail:
    """The complete message; `headers` are extra ASCII headers (Message-ID, References...)."""
    if not valid_address(to):
        raise InvalidAddress(to)
    name, envelope_sender = parseaddr(current_app.config["MAIL_FROM"])
    message = MIMEMultipart("alternative", policy=_WIRE)
    values = {
        "From": formataddr((name, envelope_sender), charset=_UTF8),
        "To": to,
        "Subject": " ".join(subject.split()),  # one line, whatever the user typed
        "Date": format_datetime(utcnow()),
        **headers,
    }
    for header, value in values.items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"{header}: a header value cannot span lines")
        message[header] = value if value.isascii() else _encoded_words(header, value)
    for body, subtype in ((text, "plain"), (html, "html")):
        if not body.endswith("\n"):
            body += "\n"  # a body ends with a line break (as EmailMessage.set_content does)
        part = MIMEText(body, subtype, _charset=_UTF8, policy=_WIRE)
        del part["MIME-Version"]  # said once, on the whole message
        message.attach(part)
    return OutgoingMail(envelope_sender, to, message.as_bytes(policy=_WIRE))
