"""Read one raw message: who, to whom, about what, is it a robot, and only its new words.

Pure (no Flask, no database). The standard library's `email` parser with the default policy
decodes any charset and transfer encoding; a charset Python does not know is decoded as
UTF-8 with replacement rather than refused. Quoted history and signatures are cut by
mail-parser-reply, which knows the French and English clients' markers ("Le … a écrit :",
Outlook's "De : / Envoyé :" block, "-- ", "Cordialement"). HTML-only mail becomes plain text
through lxml: quoted blocks dropped, markup gone.
"""

from __future__ import annotations

import email
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses, parseaddr

import lxml.html
from lxml import etree
from mailparser_reply import EmailReplyParser

_PARSER = EmailReplyParser(languages=["fr", "en"])
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"}
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
MAX_RECIPIENTS = 200
MAX_PARTS = 100  # a real message has a handful; thousands are an attack on the parser
MAX_DEPTH = 10
_HEADER_LIMIT = 256 * 1024


class MalformedMessage(ValueError):
    """The message cannot be processed; `reason` (a HoldReason value) and `data` go to the
    admins, rendered in their language."""

    def __init__(self, reason: str, **data: object):
        super().__init__(f"{reason} {data}" if data else reason)
        self.reason = reason
        self.data = data


@dataclass(frozen=True)
class MailAttachment:
    """A file carried by the message (attached or inline), not yet checked."""

    filename: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class IncomingMail:
    """What desk needs of a received message."""

    message_id: str
    content_hash: str
    sender: str
    subject: str
    recipients: list[str]
    references: list[str]  # In-Reply-To first, then References, newest first
    auto_reason: str | None  # "auto_reply" / "bounce" when a robot sent it
    text: str  # the new words only
    raw: bytes = field(repr=False)
    attachments: list[MailAttachment] = field(default_factory=list)
    bounce: EmailMessage | None = field(default=None, repr=False)  # the DSN, for desk.bounces


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _addresses(message: EmailMessage, names: tuple[str, ...]) -> list[str]:
    values = [str(v) for name in names for v in (message.get_all(name) or [])]
    return [addr.lower() for _, addr in getaddresses(values) if "@" in addr]


def automatic(message: EmailMessage) -> str | None:
    """Why a message comes from a robot (RFC 3834 and the de-facto headers), or None."""
    if message.get_content_type() == "multipart/report" or _header(message, "Return-Path") == "<>":
        return "bounce"
    if parseaddr(_header(message, "From"))[1].lower().startswith("mailer-daemon@"):
        return "bounce"  # a plain-text bounce from an MTA that does not speak RFC 3464
    if _header(message, "Auto-Submitted").lower() not in ("", "no"):
        return "auto_reply"
    if _header(message, "Precedence").lower() in ("bulk", "junk", "list"):
        return "auto_reply"
    robots = ("X-Autoreply", "X-Autorespond", "List-Id", "List-Unsubscribe")
    if any(message.get(h) is not None for h in robots):
        return "auto_reply"
    return None


def _decoded(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: keep what we can
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def html_to_text(html: str) -> str:
    """Plain text of an HTML body, without its quoted blocks; no markup survives."""
    if not html.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    for bad in root.xpath(
        "//script|//style|//head|//blockquote|//*[contains(@class,'gmail_quote')]"
        "|//*[@id='divRplyFwdMsg']|//*[@id='appendonsend']"
    ):
        bad.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
    text = root.text_content().replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def body_text(message: EmailMessage) -> str:
    """The text of the message: its plain part, else its HTML part made text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = _decoded(part)
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content


def new_words(text: str) -> str:
    """The reply alone: quoted history, client headers and signatures cut."""
    text = text.replace("\r\n", "\n").replace("\x00", "")
    if not text.strip():
        return ""
    replies = _PARSER.read(text).replies
    words = replies[0].body if replies else text
    return words.strip()


def _leaves(message: EmailMessage) -> list[EmailMessage]:
    """The non-multipart parts, refusing trees too large or too deep to be a real message."""
    leaves: list[EmailMessage] = []
    stack: list[tuple[EmailMessage, int]] = [(message, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS or depth > MAX_DEPTH:
            raise MalformedMessage("malformed", what="parts")
        # A forwarded message (message/rfc822) is one leaf: its parts are not this message's.
        if part.get_content_maintype() == "multipart":
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children))
            continue  # no boundary: the parser kept it as text, and it is no file either
        leaves.append(part)
    return leaves


def attachments(message: EmailMessage, body: EmailMessage | None) -> list[MailAttachment]:
    """Every file of the message: attached, inline images, forwarded messages."""
    files = []
    for number, part in enumerate(_leaves(message), start=1):
        if part is body or part.get_content_maintype() == "message":
            continue  # a forwarded message stays readable in the kept original
        name = part.get_filename()
        kind = part.get_content_type()
        disposition = part.get_content_disposition()
        if not name and kind in ("text/plain", "text/html") and disposition != "attachment":
            continue  # the other alternative of the body, not a file
        if not name:
            extension = mimetypes.guess_extension(kind) or ".bin"
            name = f"{kind.split('/')[0]}-{number}{extension}"
        files.append(MailAttachment(name, kind, part.get_payload(decode=True) or b""))
    return files


def identify(raw: bytes) -> tuple[str, str, str, str]:
    """(Message-ID, content hash, sender, subject) of a message that cannot be parsed whole,
    read from its header alone, so that even a failure is listed by who sent what."""
    content_hash = hashlib.sha256(raw).hexdigest()
    message_id, sender, subject = f"sha256:{content_hash}", "", ""
    try:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(raw[:_HEADER_LIMIT])
        found = _MESSAGE_ID.search(_header(headers, "Message-ID"))  # type: ignore[arg-type]
        message_id = found.group(1)[:998] if found else message_id
        sender = parseaddr(_header(headers, "From"))[1].lower()[:320]  # type: ignore[arg-type]
        subject = _header(headers, "Subject")[:500]  # type: ignore[arg-type]
    except Exception:  # noqa: S110 - a header too broken to read: the hash names it
        pass
    return message_id, content_hash, sender, subject


def parse(raw: bytes) -> IncomingMail:
    """Read a raw message; raise MalformedMessage with a reason when it cannot be read."""
    content_hash = hashlib.sha256(raw).hexdigest()
    try:
        message = email.message_from_bytes(raw, policy=default_policy)
        if not isinstance(message, EmailMessage) or not message.keys():
            raise MalformedMessage("malformed", what="headers")
        found = _MESSAGE_ID.search(_header(message, "Message-ID"))
        # No Message-ID (some scripts): the content alone identifies it.
        message_id = found.group(1) if found else f"sha256:{content_hash}"
        sender = parseaddr(_header(message, "From"))[1].lower()
        recipients = _addresses(message, _RECIPIENT_HEADERS)
        if len(recipients) > MAX_RECIPIENTS:
            raise MalformedMessage("too_many_recipients", count=len(recipients), max=MAX_RECIPIENTS)
        references = _MESSAGE_ID.findall(_header(message, "In-Reply-To"))
        references += reversed(_MESSAGE_ID.findall(_header(message, "References")))
        auto = automatic(message)
        files: list[MailAttachment] = []
        text = ""
        if not auto:
            body = message.get_body(preferencelist=("plain", "html"))
            text = new_words(body_text(message))
            files = attachments(message, body)
        subject = _header(message, "Subject")
    except MalformedMessage:
        raise
    except Exception as exc:  # the email package raises many things on broken input
        raise MalformedMessage("malformed", what=type(exc).__name__) from exc
    return IncomingMail(
        message_id=message_id[:998],
        content_hash=content_hash,
        sender=sender,
        subject=subject[:500],
        recipients=recipients,
        references=references,
        auto_reason=auto,
        text=text,
        raw=raw,
        attachments=files,
        bounce=message if auto == "bounce" else None,
    )
