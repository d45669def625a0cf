"""Who sent a message, and what makes two copies of it the same message. Pure.

The sender is the one address of the From line, read by the standard library's header
parser. A broken From line with more than one address in it (an address typed as the
display name, "marie@univ.fr <eve@evil.example>", or two addresses) gives no sender:
Python reads marie there, while the receiving server's DMARC check, and a person, read eve,
so a stranger could otherwise write as someone else with a domain of their own that passes
every check.

Two deliveries of one message differ only in what servers added on the way (Received,
Delivered-To, Return-Path, spam and authentication results): a reply sent both to the
ticket's reply address and to the queue's address arrives twice in one mailbox. The content
hash reads what the sender wrote: their header fields below and the body.
"""

from __future__ import annotations

import hashlib
import re
from email.errors import InvalidHeaderDefect
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

_WRITTEN = (
    "from",
    "sender",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
)
_HEADER_LIMIT = 256 * 1024


def sender_of(message: EmailMessage) -> str:
    """The From line's address, lower-cased; "" when it has none, several, or is ambiguous."""
    try:
        header = message["From"]
        if header is None:
            return ""
        addresses = header.addresses
        defects = header.defects
    except Exception:  # a header too broken to parse
        return ""
    # As written, before any decoding: an encoded word may hold an "@" but never an address
    # (RFC 2047), and none of the servers on the way can check a domain hidden in one.
    written = " ".join(value for name, value in message.raw_items() if name.lower() == "from")
    if "@" not in written:
        return ""
    if not any(isinstance(d, InvalidHeaderDefect) for d in defects):
        address = addresses[0].addr_spec if len(addresses) == 1 else ""
    elif written.count("@") == 1:
        # Broken but not ambiguous (a missing ">", an encoded word in the address): the one
        # address there is, as the lenient parser reads it, so the admins see who wrote.
        address = parseaddr(str(header))[1]
    else:
        return ""  # two addresses, one where a name should be: whose is it?
    return address.lower() if "@" in address else ""


def content_hash(raw: bytes) -> str:
    """SHA-256 of the sender's header fields (unfolded) and the body, so that copies
    delivered to two addresses of one mailbox are one message."""
    # Line ends too: a Maildir keeps "\n" where IMAP gives "\r\n".
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    digest = hashlib.sha256()
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(head[:_HEADER_LIMIT] + b"\n\n")
    except Exception:  # unreadable: the bytes themselves name it
        return hashlib.sha256(raw).hexdigest()
    for name, value in headers.items():
        if name.lower() in _WRITTEN:
            line = f"{name.lower()}:{' '.join(str(value).split())}\n"
            digest.update(line.encode(errors="replace"))
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


_DMARC = re.compile(r"(?:^|;)\s*dmarc\s*=\s*([a-z]+)", re.IGNORECASE)


def dmarc_result(raw: bytes, authserv_id: str) -> str:
    """The DMARC result ("pass", "fail", ...) that the server named `authserv_id` wrote in
    its Authentication-Results field (RFC 8601), "" without one.

    Only the topmost field with that id counts: the university's server adds its own above
    every field the message came with, so one a sender wrote with the same id lies below it.
    """
    head = raw.replace(b"\r\n", b"\n").partition(b"\n\n")[0][:_HEADER_LIMIT]
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(head + b"\n\n")
    except Exception:  # unreadable headers: no result
        return ""
    for value in headers.get_all("Authentication-Results") or []:
        text = " ".join(str(value).split())
        # "authserv-id [version]; method=result ..." (a comment may follow the id)
        server = text.split(";", 1)[0].split()
        if server and server[0].lower() == authserv_id.lower():
            found = _DMARC.search(text.split(";", 1)[1] if ";" in text else "")
            return found.group(1).lower() if found else ""
    return ""
