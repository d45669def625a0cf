"""The wire form of a notification e-mail: text + HTML alternatives, threaded by ticket.

The message is 7-bit clean for any relay, with CRLF line endings: non-ASCII headers become
RFC 2047 encoded words (at most 75 characters each, one per folded line, cut between
characters), ASCII ones are written unfolded, both bodies are quoted-printable, and a header
value carrying a line break is refused.

The bytes are assembled here instead of building `MIMEMultipart`/`MIMEText` objects and
flattening them with the `email` Generator, which was a third of the worker's CPU during
bench/submit.py (py-spy: `Header.encode` refolding every header, ASCII ones too; the
Generator's walk and its search of the bodies for the boundary; pure-Python
quoted-printable): for a typical French notification (1.5 kB text, 3.5 kB HTML), 0.7 to
1.2 ms of CPU against 0.05 to 0.08 ms now, 14 to 16 times less. The encoding primitives stay
the standard library's, in C: `binascii.b2a_qp` for the bodies, `str.translate` for the
encoded words (Q rather than B: the subject stays legible in the raw message, and it is what
was sent before). What the Generator did in general is fixed here: one multipart/alternative
of two text parts, each with its own headers, MIME-Version once on the whole. No boundary
search is needed: quoted-printable never writes "==" ("=" is always followed by two hex
digits or by the CRLF of a soft break) and the boundary starts with it, so "--" + boundary
cannot occur in a part. tests/notifications/test_mime.py reads the result back with the
`email` package.
"""

from __future__ import annotations

import binascii
import random
import re
import string
from dataclasses import dataclass
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

from flask import current_app

from desk.core.db import utcnow

# RFC 5322's limit for a line; ASCII headers are written unfolded up to it (a folded line that
# mixes plain and encoded words is read back with two spaces, "Imprimante  bloquée", by some
# readers), and folded at spaces beyond it.
_MAX_LINE = 998
# Encoded-word lines are kept within 76 characters, as RFC 2045 asks of QP body lines.
_FOLDED_LINE = 76
_WORD_START, _WORD_END = "=?utf-8?q?", "?="
_MAX_WORD = 75  # RFC 2047

# Q encoding of one UTF-8 byte: only what RFC 2047 allows in a phrase (a From display name)
# stays as is, the space becomes "_"; everything else is =XX.
_Q = [f"={byte:02X}" for byte in range(256)]
for _char in string.ascii_letters + string.digits + "!*+-/":
    _Q[ord(_char)] = _char
_Q[ord(" ")] = "_"

# The parts' delimiter: "--" + boundary cannot occur in QP output (see the module docstring).
_BOUNDARY_FORMAT = "=" * 15 + "%019d=="
_PART_HEADERS = {
    subtype: f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode()
    for subtype in ("plain", "html")
}
# b2a_qp turns the space or tab ending a line into =20/=09 after counting it as one
# character, so such a line can come out at 77 characters (see _quoted_printable).
_ENCODED_BLANK_END = re.compile(rb"=(?:20|09)\r\n")
_QP_LINE = 76

# What str.splitlines() (and so the compat32 `email` code a relay may run) takes for a line
# break: none may be in a header value, not only CR and LF.
_LINE_BREAK = re.compile("[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")

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


def _encoded_words(value: str, first_room: int) -> str:
    """`value` as Q encoded words joined by CRLF + space, each at most 75 characters and the
    first at most `first_room`. Only whitespace separates them, which readers drop: no
    doubled space. A word holds whole characters (RFC 2047 6.3): a cut never falls inside an
    =XX nor before a UTF-8 continuation byte (=80 to =BF)."""
    encoded = value.encode().decode("latin-1").translate(_Q)
    overhead = len(_WORD_START) + len(_WORD_END)
    words = []
    # At least 12 characters of text (one 4-byte character), so that each cut moves on.
    start, room = 0, max(min(first_room, _MAX_WORD) - overhead, 12)
    while len(encoded) - start > room:
        cut = start + room
        if encoded[cut - 1] == "=":
            cut -= 1
        elif encoded[cut - 2] == "=":
            cut -= 2
        while encoded[cut] == "=" and encoded[cut + 1] in "89AB":
            cut -= 3
        words.append(encoded[start:cut])
        start, room = cut, _FOLDED_LINE - 1 - overhead  # after the folding space
    words.append(encoded[start:])
    return "\r\n ".join(_WORD_START + word + _WORD_END for word in words)


def _fold_ascii(line: str) -> str:
    """An ASCII header line, folded before spaces only if it is over 998 characters (a run
    without spaces that long cannot be folded and stays as it is)."""
    if len(line) <= _MAX_LINE:
        return line
    lines = [""]
    for i, word in enumerate(line.split(" ")):
        piece = word if i == 0 else " " + word
        if word and len(lines[-1]) + len(piece) > _MAX_LINE:  # no whitespace-only line
            lines.append(piece)
        else:
            lines[-1] += piece
    return "\r\n".join(lines)


def _header(name: str, value: str) -> str:
    if _LINE_BREAK.search(value):
        raise ValueError(f"{name}: a header value cannot span lines")
    if value.isascii():
        return _fold_ascii(f"{name}: {value}")
    return f"{name}: " + _encoded_words(value, _FOLDED_LINE - len(name) - 2)


@lru_cache(maxsize=8)
def _from_header(mail_from: str) -> tuple[str, str]:
    """(From header line, envelope sender) for the MAIL_FROM setting, by formataddr's rules:
    an ASCII display name quoted if needed, a non-ASCII one as ONE encoded word (as formataddr
    writes it) whenever it fits in 75 characters, then the address in <>.

    One word because readers differ on the space between two encoded words in a display name
    (CPython's address parser before gh-128110 keeps it: "Univ ersité"); only a name too
    long for one word is cut. The word starts on a folded line if it does not fit the first.
    Computed once per setting."""
    name, address = parseaddr(mail_from)
    if not name or name.isascii():
        return _header("From", formataddr((name, address))), address
    address.encode("ascii")  # as formataddr: the address must be ASCII (UnicodeEncodeError)
    if _LINE_BREAK.search(name):
        raise ValueError("From: a header value cannot span lines")
    words = _encoded_words(name, _MAX_WORD)
    first = words.split("\r\n", 1)[0]
    line = ("From: " if len("From: " + first) <= _FOLDED_LINE else "From:\r\n ") + words
    last = line[line.rfind("\n") + 1 :]
    separator = " " if len(f"{last} <{address}>") <= _FOLDED_LINE else "\r\n "
    return f"{line}{separator}<{address}>", address


def _quoted_printable(body: str) -> bytes:
    """`body` in quoted-printable, CRLF line endings (soft breaks too), lines of at most 76
    characters, ending with a line break (as EmailMessage.set_content does)."""
    if "\r" in body:  # a lone CR would pass through b2a_qp raw: each CR, LF or CRLF is a break
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.endswith("\n"):
        body += "\n"
    # CRLF input: b2a_qp then writes every line break, soft ones included, as CRLF.
    encoded = binascii.b2a_qp(body.encode().replace(b"\n", b"\r\n"), istext=True)
    pieces, start = [], 0
    for end in _ENCODED_BLANK_END.finditer(encoded):
        line_start = encoded.rfind(b"\n", 0, end.start()) + 1
        if end.start() + 3 - line_start > _QP_LINE:  # 77: a soft break before the =20
            pieces += (encoded[start : end.start()], b"=\r\n")
            start = end.start()
    return b"".join((*pieces, encoded[start:])) if pieces else encoded


def encode(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    headers: dict[str, str],
    mail_from: str | None = None,
) -> OutgoingMail:
    """The complete message; `headers` are extra ASCII headers (Message-ID, References...);
    `mail_from` is the From (name <address>), MAIL_FROM by default."""
    if not valid_address(to):
        raise InvalidAddress(to)
    from_line, envelope_sender = _from_header(mail_from or current_app.config["MAIL_FROM"])
    boundary = _BOUNDARY_FORMAT % random.randrange(10**19)
    lines = [
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "MIME-Version: 1.0",  # said once, on the whole message
        from_line,
        _header("To", to),
        _header("Subject", " ".join(subject.split())),  # one line, whatever the user typed
        _header("Date", format_datetime(utcnow())),
        *(_header(name, value) for name, value in headers.items()),
        "",
        "",
    ]
    delimiter = f"\r\n--{boundary}\r\n".encode()
    data = b"".join(
        (
            "\r\n".join(lines).encode(),
            delimiter[2:],
            _PART_HEADERS["plain"],
            _quoted_printable(text),
            delimiter,
            _PART_HEADERS["html"],
            _quoted_printable(html),
            f"\r\n--{boundary}--\r\n".encode(),
        )
    )
    return OutgoingMail(envelope_sender, to, data)
