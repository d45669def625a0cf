"""Read one raw message: who, to whom, about what, is it a robot, and only its new words.

Pure (no Flask, no database). The standard library's `email` parser with the default policy
decodes any transfer encoding; charsets that are wrong, missing or unknown are read by
desk.inbound.charsets, which also keeps control characters out of the text. A reply's new
words are cut from its history and signature by desk.inbound.replies; a new request keeps a
forward whole. HTML-only mail becomes plain text (desk.inbound.html_text): quoted blocks
dropped, markup gone. The files inside Outlook's winmail.dat are read by desk.inbound.tnef.
"""

from __future__ import annotations

import email
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses, parseaddr

from desk.inbound.charsets import charset_decoded, mend_8bit_headers, readable
from desk.inbound.decoration import content_id, decoration_ids
from desk.inbound.flowed import unflowed
from desk.inbound.headers import content_hash as hash_of
from desk.inbound.headers import sender_of
from desk.inbound.html_text import XML_DECLARATION, html_to_text
from desk.inbound.replies import new_words
from desk.inbound.robots import automatic
from desk.inbound.tnef import TNEF_TYPES, UnreadableTnef, tnef_files

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
MAX_RECIPIENTS = 200
MAX_PARTS = 100  # a real message has a handful; thousands are an attack on the parser
MAX_DEPTH = 10
# A header over this is refused before it is read: the standard library reads a long field
# in a time that grows with the square of its length (a Subject of 1 MB took 40 s, of 25 MB
# hours, holding the poll and every message behind it). A real one is a few kilobytes; 200
# recipients (MAX_RECIPIENTS) or a long thread's References fit many times over.
_HEADER_LIMIT = 256 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# What is read of In-Reply-To and References: each of desk's Message-IDs there is a look-up
# (one message naming 20,000 made-up ones took a minute of queries); a real answer names
# desk's e-mail first, and clients trim a thread's References (desk writes 12 at most).
MAX_REFERENCES = 100


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
    # An image shown in the body rather than attached (Content-Disposition inline, or none
    # and a Content-ID for the HTML's cid:): a pasted screenshot, or the signature logo
    # Outlook sends with every reply (desk.inbound.files keeps it once per ticket).
    inline: bool = False


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
    # The words of a new request (desk.inbound.requests): a forward's whole body, since the
    # forwarded message is the request, else the new words; then attached messages' text.
    request: str = ""
    # The language its writer's mail program declared (Content-Language, RFC 3282): "fr".
    language: str | None = None
    # Its References as written, oldest first (else its one In-Reply-To): what an answer's
    # References start with (RFC 5322 §3.6.4), so that the sender's client threads it.
    thread: list[str] = field(default_factory=list)
    # Parts that held files but could not be read (a broken winmail.dat), by name: the
    # ticket says so to staff (desk.inbound.files.note_unread); they are in the original.
    unread: list[str] = field(default_factory=list)

    def answered(self) -> dict[str, object] | None:
        """The thread headers an answer to this message takes (desk.notifications.mailer),
        as stored in an outbox payload; None when it has no Message-ID of its own."""
        if not _THREADABLE.fullmatch(self.message_id):
            return None
        ids = [i for i in self.thread if _THREADABLE.fullmatch(i) and i != self.message_id]
        return {"message_id": self.message_id, "references": ids}


# A Message-ID that may go back into a header: printable ASCII, no space or angle bracket
# (a "sha256:…" one is desk's name for a message that had none), and of a sane length.
_THREADABLE = re.compile(r"(?!sha256:)[!-;=?-~]{1,250}")


def storable(value: str) -> str:
    """`value` without NUL characters, which PostgreSQL refuses in text (an encoded word
    "=?utf-8?q?=00?=" in a Subject or From line puts one there; the whole message then failed
    and was not even kept for the admins)."""
    return value.replace("\x00", "")


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return storable(" ".join(str(value).split())) if value is not None else ""


def _addresses(message: EmailMessage, names: tuple[str, ...]) -> list[str]:
    values = [str(v) for name in names for v in (message.get_all(name) or [])]
    return [storable(addr.lower()) for _, addr in getaddresses(values) if "@" in addr]


def _decoded(part: EmailMessage) -> str:
    text = charset_decoded(part)
    if part.get_content_type() == "text/plain" and _param(part, "format") == "flowed":
        return unflowed(text, delsp=_param(part, "delsp") == "yes")
    return text


def _param(part: EmailMessage, name: str) -> str:
    return str(part.get_param(name, "", header="content-type") or "").strip().lower()


def _text_of(part: EmailMessage, *, quoted: bool = False) -> str:
    content = _decoded(part)
    if part.get_content_type() == "text/html":
        return html_to_text(content, quoted=quoted)
    return readable(content)


def _continued(message: EmailMessage, body: EmailMessage) -> list[EmailMessage]:
    """The body's continuations: Apple Mail sends a plain-text message with a picture in the
    middle as multipart/mixed [text, image, text]; the text after the picture is the
    message's too (the standard library's get_body returns the first part only)."""
    for part in message.walk():
        children = part.get_payload() if part.get_content_type() == "multipart/mixed" else None
        if not isinstance(children, list) or not any(c is body for c in children):
            continue
        after = children[[id(c) for c in children].index(id(body)) + 1 :]
        return [
            c
            for c in after
            if c.get_content_type() == body.get_content_type()
            and not c.get_filename()
            and c.get_content_disposition() != "attachment"
        ]
    return []


def body_text(message: EmailMessage, *, quoted: bool = False) -> str:
    """The text of the message: its plain part, else its HTML part made text (with its
    quoted blocks when `quoted`)."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    continued = _continued(message, part)
    if not continued:
        return _text_of(part, quoted=quoted)
    return "\n\n".join(_text_of(p, quoted=quoted).strip() for p in [part, *continued])


# A forward, not a reply: the client's forward prefix on the subject ("TR:", "Fwd:"), or a
# forward marker in the body (Gmail, Thunderbird, Apple Mail; Outlook's own forward block
# is the "De : / Envoyé :" one of its replies, told apart by the subject).
_FORWARD_SUBJECT = re.compile(r"\s*(?:tr|fw|fwd|wg)\s*:", re.IGNORECASE)
_FORWARD_MARKER = re.compile(
    r"^[ \t]*-{5,} ?(?:forwarded message|message transféré) ?-{5,}[ \t]*$"
    r"|^[ \t]*(?:begin forwarded message|début du message réexpédié) ?:",
    re.MULTILINE | re.IGNORECASE,
)


def request_text(message: EmailMessage, words: str) -> str:
    """What a new request keeps: a forward's whole body (its typed words, the forwarded
    message and the lines it quotes) or the new `words` of anything else, then the text of
    each message attached as .eml (message/rfc822), which "forward as attachment" leaves
    out of the body."""
    body = body_text(message, quoted=True)
    forward = _FORWARD_SUBJECT.match(_header(message, "Subject")) or _FORWARD_MARKER.search(body)
    texts = [body if forward else words]
    for part in _leaves(message):
        if part.get_content_type() == "message/rfc822":
            attached = part.get_content()
            if isinstance(attached, EmailMessage):
                texts.append(body_text(attached, quoted=True))
    texts = [t.replace("\r\n", "\n").replace("\x00", "").strip() for t in texts]
    return re.sub(r"\n{3,}", "\n\n", "\n\n".join(t for t in texts if t))


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


# S/MIME and OpenPGP signatures of a multipart/signed message (staff with a RENATER
# certificate sign every message), and the public key Thunderbird attaches when signing:
# as files they would be refused by the allow-list and hold the whole reply.
_SIGNATURES = {
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-signature",
    "application/pgp-keys",
}


# Parts that mail clients add on their own, not files the person chose: a vCard of the
# sender, a meeting invitation's iCalendar (often another alternative of the body). Refused by
# the allow-list, any of them would hold the whole message; they stay in the kept original.
# Outlook's winmail.dat is opened: the files inside are the person's (desk.inbound.tnef).
_CLIENT_PARTS = {"text/vcard", "text/x-vcard", "text/directory", "text/calendar", "application/ics"}
_CLIENT_FILES = (".vcf", ".ics")


def _added_by_client(part: EmailMessage) -> bool:
    name = (part.get_filename() or "").lower()
    return part.get_content_type() in _CLIENT_PARTS or name.endswith(_CLIENT_FILES)


def _is_tnef(part: EmailMessage) -> bool:
    name = (part.get_filename() or "").lower()
    return part.get_content_type() in TNEF_TYPES or name == "winmail.dat"


def _tnef_attachments(part: EmailMessage, unread: list[str]) -> list[MailAttachment]:
    """The files inside a winmail.dat; none, its name noted in `unread`, when it cannot be
    read (it stays in the kept original, as before)."""
    name = storable(part.get_filename() or "winmail.dat")
    try:
        inside = tnef_files(part.get_payload(decode=True) or b"")
    except UnreadableTnef:
        unread.append(name[:200])
        return []
    return [
        MailAttachment(
            storable(file_name) or f"file-{number}.bin",
            mimetypes.guess_type(file_name)[0] or "application/octet-stream",
            content,
        )
        for number, (file_name, content) in enumerate(inside, start=1)
    ]


def attachments(
    message: EmailMessage, body: EmailMessage | None, unread: list[str] | None = None
) -> list[MailAttachment]:
    """Every file of the message: attached, inline images, the files inside a winmail.dat;
    not the pictures its HTML shows as decoration (desk.inbound.decoration). The names of
    winmail.dat parts that could not be read go to `unread`."""
    files: list[MailAttachment] = []
    unread = [] if unread is None else unread
    leaves = _leaves(message)
    htmls = [
        XML_DECLARATION.sub("", _decoded(part), count=1)
        for part in leaves
        if part.get_content_type() == "text/html" and part.get_content_disposition() != "attachment"
    ]
    decoration = decoration_ids(message, htmls) if htmls else set()
    for number, part in enumerate(leaves, start=1):
        if part is body or part.get_content_maintype() == "message":
            continue  # a forwarded message stays readable in the kept original
        if part.get_content_type() in _SIGNATURES:
            continue  # proves who signed the message (kept in the original), no user's file
        if _is_tnef(part):
            files += _tnef_attachments(part, unread)
            if len(files) > MAX_PARTS:  # as many files as a MIME tree may have parts
                raise MalformedMessage("malformed", what="parts")
            continue
        if _added_by_client(part):
            continue
        name = part.get_filename()
        kind = part.get_content_type()
        disposition = part.get_content_disposition()
        if not name and kind in ("text/plain", "text/html") and disposition != "attachment":
            continue  # the other alternative of the body, not a file
        if not name:
            extension = _ALIASES.get(kind) or mimetypes.guess_extension(kind) or ".bin"
            name = f"{kind.split('/')[0]}-{number}{extension}"
        inline = part.get_content_maintype() == "image" and disposition != "attachment"
        if inline and decoration and content_id(part) in decoration:
            continue  # a signature's logo: not a file the person sent (kept in the original)
        content = part.get_payload(decode=True) or b""
        if not content:
            # An empty file (a log with nothing in it yet, a part a client left empty) shows
            # nothing; refused as an upload, it held the whole message and its words unseen,
            # its sender not told. It stays in the kept original.
            continue
        files.append(MailAttachment(storable(name), kind, content, inline=inline))
    return files


# Image types some clients still write (old Internet Explorer's pasted pictures, some
# phones), which `mimetypes` does not know: an unnamed inline picture became "image-N.bin",
# refused as an upload, and held its whole reply.
_ALIASES = {"image/jpg": ".jpg", "image/pjpeg": ".jpg", "image/x-png": ".png"}


def identify(raw: bytes) -> tuple[str, str, str, str]:
    """(Message-ID, content hash, sender, subject) of a message that cannot be parsed whole,
    read from its header alone, so that even a failure is listed by who sent what."""
    content_hash = hash_of(raw)
    message_id, sender, subject = f"sha256:{content_hash}", "", ""
    try:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(raw[:_HEADER_LIMIT])
        mend_8bit_headers(headers)  # type: ignore[arg-type]  # a raw Latin-1 Subject too
        found = _MESSAGE_ID.search(_header(headers, "Message-ID"))  # type: ignore[arg-type]
        message_id = found.group(1)[:998] if found else message_id
        sender = parseaddr(_header(headers, "From"))[1].lower()[:320]  # type: ignore[arg-type]
        subject = _header(headers, "Subject")[:500]  # type: ignore[arg-type]
    except Exception:  # noqa: S110 - a header too broken to read: the hash names it
        pass
    return message_id, content_hash, sender, subject


# A language tag's primary subtag (RFC 5646): "fr" of "fr-FR"; the first of a list.
_LANGUAGE_TAG = re.compile(r"\s*([A-Za-z]{2,3})(?![A-Za-z])")


def declared_language(message: EmailMessage, body: EmailMessage | None) -> str | None:
    """The language the text is declared in (its part's Content-Language, else the message's):
    Outlook writes one, most other programs none (then None: unknown)."""
    for part in (body, message):
        if part is not None:
            found = _LANGUAGE_TAG.match(_header(part, "Content-Language"))
            if found:
                return found.group(1).lower()
    return None


def parse(raw: bytes) -> IncomingMail:
    """Read a raw message; raise MalformedMessage with a reason when it cannot be read."""
    content_hash = hash_of(raw)
    end = _HEADER_END.search(raw)
    if (end.start() if end else len(raw)) > _HEADER_LIMIT:
        raise MalformedMessage("malformed", what="headers")
    try:
        message = email.message_from_bytes(raw, policy=default_policy)
        if not isinstance(message, EmailMessage) or not message.keys():
            raise MalformedMessage("malformed", what="headers")
        mend_8bit_headers(message)
        found = _MESSAGE_ID.search(_header(message, "Message-ID"))
        # No Message-ID (some scripts): the content alone identifies it.
        message_id = found.group(1) if found else f"sha256:{content_hash}"
        sender = storable(sender_of(message))
        recipients = _addresses(message, _RECIPIENT_HEADERS)
        if len(recipients) > MAX_RECIPIENTS:
            raise MalformedMessage("too_many_recipients", count=len(recipients), max=MAX_RECIPIENTS)
        in_reply_to = _MESSAGE_ID.findall(_header(message, "In-Reply-To"))
        written = _MESSAGE_ID.findall(_header(message, "References"))
        references = (in_reply_to + list(reversed(written)))[:MAX_REFERENCES]
        thread = written or in_reply_to[:1]
        auto = automatic(message)
        files: list[MailAttachment] = []
        unread: list[str] = []
        text = request = ""
        language = None
        if not auto:
            body = message.get_body(preferencelist=("plain", "html"))
            text = new_words(body_text(message))
            request = request_text(message, text)
            files = attachments(message, body, unread)
            language = declared_language(message, body)
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
        request=request,
        language=language,
        thread=thread,
        unread=unread,
    )
