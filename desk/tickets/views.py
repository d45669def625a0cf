"""Attachment downloads (through the ticket access rule) and timeline template helpers."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, send_file
from flask_login import current_user

from desk.core.access import AUTHENTICATED, access
from desk.tickets.access import get_visible_attachment_or_404
from desk.tickets.attachments import storage_path
from desk.tickets.history import describe_change
from desk.tickets.models import Ticket, TicketEvent
from desk.tickets.subjects import subject_html

log = logging.getLogger(__name__)

bp = Blueprint("tickets", __name__)


@bp.app_template_global()
def change_label(event: TicketEvent) -> str:
    """One line describing a CHANGE event of the timeline."""
    return describe_change(event)


@bp.app_template_global("subject_html")
def _subject_html(ticket: Ticket):
    """A ticket's subject with `lang` on what is not in the page's language."""
    return subject_html(ticket)


@bp.get("/attachments/<int:attachment_id>")
@access(AUTHENTICATED)
def attachment(attachment_id: int):
    """Download an attachment of a ticket the user may see (404 otherwise)."""
    found = get_visible_attachment_or_404(current_user, attachment_id)
    path = storage_path(found.storage_key)
    if not path.is_file():
        log.error("attachment %s: file %s is missing", found.id, found.storage_key)
        abort(404)
    response = send_file(
        path,
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
