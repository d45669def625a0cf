"""Read a bounce: which of desk's messages it is about, for whom, and why. Pure.

The standard shape is RFC 3464's `multipart/report; report-type=delivery-status`: a human
part, a `message/delivery-status` part (per recipient: Final-Recipient, Action, Status,
Diagnostic-Code) and the original message or its headers (`message/rfc822`,
`text/rfc822-headers`, `message/rfc822-headers`). Postfix and Exchange both send that, with
their own wording; older or odder robots send plain text quoting the original, so the
Message-ID is also looked for in the whole message.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message

from desk.core.input import parse_int
from desk.tickets.references import REFERENCE

_NOTIF_ID = re.compile(
    # A digest or an alert to the admins is about no one ticket: "ticket-digest".
    # Its signature (since 2026-12-06) is not checked: a forged bounce only marks an e-mail
    # failed, which the bounce's own sender could cause anyway.
    rb"<?ticket-(" + REFERENCE.encode() + rb"|digest)\.notif-(\d+)(?:\.[0-9a-f]{16})?"
    rb"@([A-Za-z0-9.\-\[\]:]+)>?",
    re.IGNORECASE,
)
_HEADERS_TYPES = ("text/rfc822-headers", "message/rfc822-headers")


@dataclass(frozen=True)
class Bounce:
    """What a delivery status notification says about one of desk's e-mails."""

    notification_id: int | None  # from the original Message-ID, when it is desk's
    host: str  # the Message-ID's host, to check it is ours
    recipient: str
    action: str  # failed | delayed | delivered | relayed | expanded ("" when unsaid)
    status: str  # e.g. 5.1.1
    diagnostic: str

    @property
    def is_failure(self) -> bool:
        return self.action == "failed" or (not self.action and self.status.startswith("5"))


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    if value is None:
        return ""
    text = " ".join(str(value).split()).replace("\x00", "")  # PostgreSQL refuses NUL
    # "rfc822; bob@x" / "smtp; 550 5.1.1 ...": drop the type.
    kind, sep, rest = text.partition(";")
    return rest.strip() if sep and " " not in kind.strip() else text


def _status_blocks(message: EmailMessage) -> list[Message]:
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            if isinstance(payload, list):
                return payload
            # Some robots put it as text: parse the header blocks ourselves.
            text = payload if isinstance(payload, str) else ""
            return [email.message_from_string(b + "\n") for b in re.split(r"\n\s*\n", text)]
    return []


def _original_ids(message: EmailMessage, raw: bytes) -> list[re.Match[bytes]]:
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                found = _NOTIF_ID.search(str(inner.get("Message-ID", "")).encode())
                if found:
                    return [found]
        elif kind in _HEADERS_TYPES:
            headers = email.message_from_bytes(part.get_payload(decode=True) or b"")
            found = _NOTIF_ID.search(str(headers.get("Message-ID", "")).encode())
            if found:
                return [found]
    # Plain-text bounces quote the original somewhere in the body.
    return list(_NOTIF_ID.finditer(raw))[:1]


# A plain-text bounce has no Action field: it is a failure unless it says it is a delay
# ("Warning: could not send message for past 4 hours", "Delivery Status Notification
# (Delay)"), after which the server goes on trying. Read as "nothing said", no plain
# bounce ever marked its e-mail failed.
_DELAY = re.compile(
    r"warning|delay|retard|différée|will (?:keep )?(?:re)?try|still trying", re.IGNORECASE
)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_SMTP_REPLY = re.compile(r"^.*\b[45]\d\d[ -][^\n]*$", re.MULTILINE)
_HUMAN_PART = 4000  # the explanation is on top; the quoted original follows


def _plain_report(message: EmailMessage) -> tuple[str, str, str]:
    """(action, status, diagnostic) read from a plain-text bounce's human words."""
    part = message.get_body(("plain",))
    try:
        text = part.get_content()[:_HUMAN_PART] if part is not None else ""
    except (LookupError, UnicodeError):
        text = ""
    head = f"{message.get('Subject', '')}\n{text[:300]}"
    action = "delayed" if _DELAY.search(head) else "failed"
    status = _STATUS.search(text)
    reply = _SMTP_REPLY.search(text)
    # Without an SMTP reply quoted (Lotus: "User marie not listed in Domino Directory"),
    # the first line of its words says what happened.
    lines = [line for line in text.splitlines() if line.strip(" *-")]
    diagnostic = " ".join((reply.group() if reply else lines[0] if lines else "").split())
    return action, status.group(1) if status else "", diagnostic.replace("\x00", "")


def read_bounce(message: EmailMessage, raw: bytes) -> Bounce:
    """The bounce's report; fields it does not give are empty."""
    blocks = _status_blocks(message)
    recipient_block = next((b for b in blocks if b.get("Final-Recipient")), None)
    recipient = action = status = diagnostic = ""
    if recipient_block is not None:
        recipient = _field(recipient_block, "Final-Recipient") or _field(
            recipient_block, "Original-Recipient"
        )
        action = _field(recipient_block, "Action").lower()
        status = _field(recipient_block, "Status").split(" ")[0]
        diagnostic = _field(recipient_block, "Diagnostic-Code")
    if not recipient:
        recipient = str(message.get("X-Failed-Recipients", "")).strip()
    if recipient_block is None and message.get_content_type() != "multipart/report":
        action, status, diagnostic = _plain_report(message)
    found = _original_ids(message, raw)
    # A number past the id column names no e-mail desk sent (int() refuses 5,000 digits).
    notification_id = parse_int(found[0][2].decode()) if found else None
    host = found[0][3].decode(errors="replace") if found else ""
    return Bounce(
        notification_id=notification_id,
        host=host,
        recipient=recipient.lower()[:320],
        action=action,
        status=status[:20],
        diagnostic=diagnostic[:500],
    )
