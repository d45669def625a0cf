"""Attachment downloads (through the ticket access rule) and timeline template helpers."""

from __future__ import annotations

import io
import logging

from flask import Blueprint, abort, send_file
from flask_login import current_user

from desk.core.access import AUTHENTICATED, access
from desk.core.security import serves_user_files
from desk.tickets.access import get_visible_attachment_or_404
from desk.tickets.attachments import attachment_bytes, served_content_type
from desk.tickets.history import describe_change, describe_creation
from desk.tickets.models import Ticket, TicketEvent
from desk.tickets.subjects import subject_html, subject_parts, titled, typed_html

log = logging.getLogger(__name__)

bp = Blueprint("tickets", __name__)


@bp.app_template_global()
def change_label(event: TicketEvent) -> str:
    """One line describing a CHANGE event of the timeline."""
    return describe_change(event)


@bp.app_template_global()
def created_label(event: TicketEvent) -> str:
    """The timeline's line for a CREATED event (for whom, and how, when staff filed it)."""
    return describe_creation(event)


@bp.app_template_global("subject_html")
def _subject_html(ticket: Ticket):
    """A ticket's subject with `lang` on what is not in the page's language."""
    return subject_html(ticket)


@bp.app_template_global("subject_typed_html")
def _subject_typed_html(ticket: Ticket):
    """The subject without the request type's title it begins with (see typed_html)."""
    return typed_html(ticket)


@bp.app_template_global("subject_titled")
def _subject_titled(ticket: Ticket) -> bool:
    """Does the subject begin with the request type's title (a list need not repeat it)?"""
    return titled(subject_parts(ticket))


@bp.get("/attachments/<int:attachment_id>")
@serves_user_files
@access(AUTHENTICATED)
def attachment(attachment_id: int):
    """Download an attachment of a ticket the user may see (404 otherwise)."""
    found = get_visible_attachment_or_404(current_user, attachment_id)
    data = attachment_bytes(found)
    if data is None:
        log.error("attachment %s: its content is missing", found.id)
        abort(404)
    content_type = served_content_type(found.content_type, data)
    response = send_file(
        io.BytesIO(data),
        mimetype=content_type,
        as_attachment=True,
        download_name=found.filename,
        max_age=0,
        etag=found.sha256,
        conditional=True,
    )
    # Set again: send_file would add a second charset to "text/plain; charset=...".
    response.headers["Content-Type"] = content_type
    # Always a download, never rendered by the browser as a page of our site (nosniff, and
    # the sandboxing policy of @serves_user_files).
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
