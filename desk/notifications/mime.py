"""The wire form of a notification e-mail: text + HTML alternatives, threaded by ticket.

Built with the standard library's `EmailMessage` and the SMTP policy (CRLF line endings):
it folds and RFC 2047-encodes headers (the subject is user text; a sender name may be
non-ASCII), refuses a header value carrying CR or LF, and encodes both bodies in
quoted-printable so the message is 7-bit clean for any relay. A hand-written encoder saved
some CPU per message (see bench/notifications.py), which desk does not need at a
university's volume (a few thousand e-mails a day) and which is not worth owning MIME.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from flask import current_app

from desk.core.db import utcnow

# Bodies are encoded under SMTP (quoted-printable lines of 76); headers are written unfolded
# (up to RFC 5322's 998): the standard library folds a line that mixes plain and encoded words
# after a space it keeps, and a reader unfolding it then sees two spaces ("Imprimante  bloquée").
_HEADERS_UNFOLDED = SMTP.clone(max_line_length=998)

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


def encode(*, to: str, subject: str, text: str, html: str, headers: dict[str, str]) -> OutgoingMail:
    """The complete message; `headers` are extra ASCII headers (Message-ID, References...)."""
    if not valid_address(to):
        raise InvalidAddress(to)
    name, envelope_sender = parseaddr(current_app.config["MAIL_FROM"])
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(name, addr_spec=envelope_sender) if name else envelope_sender
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # one line, whatever the user typed
    message["Date"] = format_datetime(utcnow())
    for header, value in headers.items():
        message[header] = value
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return OutgoingMail(envelope_sender, to, message.as_bytes(policy=_HEADERS_UNFOLDED))
