"""Attachment checks and storage.

A file is accepted when its extension is on the allow-list AND its first bytes match that
type (a renamed executable is refused). Its bytes are stored in the database with its row
(`AttachmentContent`: every web host reads them, a rollback removes them); the original name
is kept, made safe, for the download header only.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from desk.auth.models import User
from desk.core.i18n import lazy_gettext as _l
from desk.extensions import db
from desk.tickets.models import Attachment, AttachmentContent, Ticket, TicketEvent

_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# extension -> (content type served, accepted leading bytes; None = plain text)
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "txt": ("text/plain; charset=utf-8", None),
    "log": ("text/plain; charset=utf-8", None),
    "csv": ("text/csv", None),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    "doc": ("application/msword", _OLE),
    "xls": ("application/vnd.ms-excel", _OLE),
}
_MAX_NAME = 200


class UploadError(ValueError):
    """An upload refused; the message is shown next to the file field."""


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the checks, held in memory until the ticket is saved."""

    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


def max_upload_bytes() -> int:
    return current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024


def safe_filename(name: str) -> str:
    """The base name without path parts, control or quote characters, at most 200 chars."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '"<>|:*?')
    name = " ".join(name.split()).strip(". ")
    if len(name) > _MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) <= 10:
            name = stem[: _MAX_NAME - len(ext) - 1] + "." + ext
        else:
            name = name[:_MAX_NAME]
    return name or "fichier"


def _is_text(content: bytes) -> bool:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text from Excel
        try:
            content.decode("utf-16")
        except UnicodeDecodeError:
            return False
        return True
    if b"\x00" in content:
        return False
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


# The types whose bytes are text: served with the charset those bytes are in (text_charset).
_TEXT_TYPES = frozenset(t.partition(";")[0] for t, sig in ALLOWED_TYPES.values() if sig is None)


def text_charset(content: bytes) -> str:
    """The charset a text file's bytes are in, as a browser or editor should read them.

    UTF-8 when they decode as it (a BOM is valid UTF-8, and readers drop it); UTF-16 when they
    start with its BOM (Excel's "Unicode text"); otherwise Windows-1252, the "ANSI" that
    Notepad and Excel write on the French Windows PCs of a university (its WHATWG mapping
    reads every byte, so no file is ever unreadable). A detector library guesses among dozens
    of charsets from letter statistics and misreads a short note; these three are what desk's
    users actually upload.
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "windows-1252"
    return "utf-8"


def served_content_type(content_type: str, content: bytes) -> str:
    """The Content-Type a download answers with: a text file's charset is read from its bytes
    when served, not taken from the row (rows said utf-8 whatever their bytes were)."""
    base = content_type.partition(";")[0].strip()
    if base not in _TEXT_TYPES:
        return content_type
    return f"{base}; charset={text_charset(content)}"


def read_upload(upload: FileStorage) -> bytes:
    """The uploaded bytes, refusing files over MAX_UPLOAD_MB without reading them whole."""
    limit = max_upload_bytes()
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise UploadError(
            _l(
                "The file is too large (maximum %(max)d MB).",
                max=current_app.config["MAX_UPLOAD_MB"],
            )
        )
    return content


def check_upload(upload: FileStorage, *, allowed: frozenset[str] | None = None) -> CheckedUpload:
    """Read and check one uploaded file; raise UploadError with a user-facing message."""
    return check_content(upload.filename or "", read_upload(upload), allowed=allowed)


def check_content(
    name: str, content: bytes, *, allowed: frozenset[str] | None = None
) -> CheckedUpload:
    """Check a file's name and bytes against the allow-list (extension AND leading bytes)."""
    filename = safe_filename(name)
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    kinds = allowed if allowed is not None else frozenset(ALLOWED_TYPES)
    if extension not in kinds or extension not in ALLOWED_TYPES:
        raise UploadError(
            _l(
                "This type of file is not accepted. Accepted: %(types)s.",
                types=", ".join(sorted(kinds)),
            )
        )
    if len(content) > max_upload_bytes():
        raise UploadError(
            _l(
                "The file is too large (maximum %(max)d MB).",
                max=current_app.config["MAX_UPLOAD_MB"],
            )
        )
    if not content:
        raise UploadError(_l("The file is empty."))
    content_type, signatures = ALLOWED_TYPES[extension]
    matches = _is_text(content) if signatures is None else content.startswith(signatures)
    if matches and signatures is _ZIP:
        matches = _reasonable_zip(content)
    if not matches:
        raise UploadError(
            _l("The content of the file does not match its extension (.%(ext)s).", ext=extension)
        )
    return CheckedUpload(filename, content_type, content)


# An office document expands a few times; a zip bomb, thousands of times. Whoever opens the
# file (a technician's office suite, an indexer) would unpack it, so desk refuses it first.
_MAX_EXPANSION = 100
_MAX_MEMBERS = 10_000


def _reasonable_zip(content: bytes) -> bool:
    """A readable ZIP whose members do not expand past the upload limit times a sane ratio
    (read from the central directory: nothing is decompressed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False
    if len(members) > _MAX_MEMBERS:
        return False
    expanded = sum(m.file_size for m in members)
    return expanded <= max(len(content), 1) * _MAX_EXPANSION and expanded <= (
        max_upload_bytes() * _MAX_EXPANSION
    )


def add_attachment(
    ticket: Ticket,
    event: TicketEvent | None,
    uploader: User,
    checked: CheckedUpload,
    *,
    internal: bool = False,
) -> Attachment:
    """Add the file's row and bytes to the session (the ticket is flushed; caller commits)."""
    attachment = Attachment(
        ticket_id=ticket.id,
        event=event,
        uploader_id=uploader.id,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=hashlib.sha256(checked.content).hexdigest(),
        is_internal=internal,
        content=AttachmentContent(data=checked.content),
    )
    db.session.add(attachment)
    return attachment


def attachment_bytes(attachment: Attachment) -> bytes | None:
    """The stored bytes of an attachment (None if they are missing)."""
    content = db.session.get(AttachmentContent, attachment.id)
    return None if content is None else content.data


def say_file_not_sent(form: Any) -> None:
    """A refused form (another field wrong, a conflict) comes back with its words, never with
    its file (a browser does not fill a file field again): say so next to its `attachment`
    field, else the message sent again goes without the file its words announce. Not when
    the file itself was refused: its field already says why."""
    field = getattr(form, "attachment", None)
    data = field.data if field is not None else None
    if not isinstance(data, FileStorage) or not data.filename or field.errors:
        return
    message = _("Your file “%(name)s” was not sent: attach it again.", name=data.filename[:100])
    field.errors = [*field.errors, message]
