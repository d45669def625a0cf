"""Attachment downloads (through the ticket access rule) and timeline template helpers."""

from __future__ import annotations

import io
import logging

from flask import Blueprint, abort, send_file
from flask_login import current_user

from desk.core.access import AUTHENTICATED, access
from desk.tickets.access import get_visible_attachment_or_404
from desk.tickets.attachments import attachment_bytes
from desk.tickets.history import describe_change
from desk.tickets.models import TicketEvent

log = logging.getLogger(__name__)

bp = Blueprint("tickets", __name__)


@bp.app_template_global()
def change_label(event: TicketEvent) -> str:
    """One line describing a CHANGE event of the timeline."""
    return describe_change(event)


@bp.get("/attachments/<int:attachment_id>")
@access(AUTHENTICATED)
def attachment(attachment_id: int):
    """Download an attachment of a ticket the user may see (404 otherwise)."""
    found = get_visible_attachment_or_404(current_user, attachment_id)
    data = attachment_bytes(found)
    if data is None:
        log.error("attachment %s: its content is missing", found.id)
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.filename,
        max_age=0,
        etag=found.sha256,
        conditional=True,
    )
    # Always a download, never rendered by the browser as a page of our site.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
