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
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
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


class MalformedMessage(ValueError):
    """The message cannot be read at all; the reason goes to the admins."""


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
    if _header(message, "Auto-Submitted").lower() not in ("", "no"):
        return "auto_reply"
    if _header(message, "Precedence").lower() in ("bulk", "junk", "list"):
        return "auto_reply"
    if any(message.get(h) is not None for h in ("X-Autoreply", "X-Autorespond", "List-Id")):
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


def parse(raw: bytes) -> IncomingMail:
    """Read a raw message; raise MalformedMessage with a reason when it cannot be read."""
    content_hash = hashlib.sha256(raw).hexdigest()
    try:
        message = email.message_from_bytes(raw, policy=default_policy)
        if not isinstance(message, EmailMessage) or not message.keys():
            raise MalformedMessage("no headers")
        found = _MESSAGE_ID.search(_header(message, "Message-ID"))
        # No Message-ID (some scripts): the content alone identifies it.
        message_id = found.group(1) if found else f"sha256:{content_hash}"
        sender = parseaddr(_header(message, "From"))[1].lower()
        recipients = _addresses(message, _RECIPIENT_HEADERS)
        if len(recipients) > MAX_RECIPIENTS:
            raise MalformedMessage(f"{len(recipients)} recipients")
        references = _MESSAGE_ID.findall(_header(message, "In-Reply-To"))
        references += reversed(_MESSAGE_ID.findall(_header(message, "References")))
        auto = automatic(message)
        text = "" if auto else new_words(body_text(message))
        subject = _header(message, "Subject")
    except MalformedMessage:
        raise
    except Exception as exc:  # the email package raises many things on broken input
        raise MalformedMessage(f"unreadable message: {exc!r}"[:500]) from exc
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
    )
