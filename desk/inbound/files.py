"""A received message's files: checked as uploads are, and its original kept for staff."""

from __future__ import annotations

from desk.inbound.models import HoldReason
from desk.inbound.parsing import IncomingMail
from desk.inbound.reasons import Hold, lazy_data
from desk.tickets.attachments import CheckedUpload, UploadError, check_content


def original(mail: IncomingMail) -> CheckedUpload:
    """The message as received, to attach for staff."""
    # desk's own file, not a user's upload: stored as-is, shown to staff only.
    return CheckedUpload(f"message-{mail.content_hash[:12]}.eml", "message/rfc822", mail.raw)


def checked_files(mail: IncomingMail) -> list[CheckedUpload]:
    """The message's files through the upload checks (type, content, size); the first
    refused one holds the whole message, so nothing half-arrives."""
    checked = []
    for attachment in mail.attachments:
        try:
            checked.append(check_content(attachment.filename, attachment.content))
        except UploadError as exc:
            raise Hold(
                HoldReason.ATTACHMENT,
                name=attachment.filename[:200],
                why=lazy_data(exc.args[0] if exc.args else exc),
            ) from None
    return checked
