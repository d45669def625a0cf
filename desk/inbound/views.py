"""The admins' incoming-mail page: held, failed and ignored messages, the original, retry."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from desk.auth.models import Role
from desk.core.access import access
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import MAX_ID
from desk.core.keyset import requested_page
from desk.core.security import serves_user_files
from desk.core.templating import ADMIN_MENU, USER_MENU, register_nav
from desk.extensions import db
from desk.inbound.models import InboundMessage, InboundStatus
from desk.inbound.reasons import EVENT_FIELD, describe, describe_event
from desk.inbound.review import LISTED, can_retry, listing, retry_message

bp = Blueprint("inbound", __name__, url_prefix="/admin/inbound")
PER_PAGE = 30

register_nav(_l("Incoming e-mails"), "inbound.index", (Role.ADMIN,), 46, menu=USER_MENU)
register_nav(_l("Incoming e-mails"), "inbound.index", (Role.ADMIN,), 85, menu=ADMIN_MENU)


@bp.app_template_global("inbound_event_label")
def inbound_event_label(event) -> str:
    """A ticket's timeline entry about a received message, in the reader's language."""
    if event.field != EVENT_FIELD:
        return ""
    return describe_event(event.new_value, event.old_value)


TABS = {
    "held": _l("Held"),
    "failed": _l("Failed"),
    "ignored": _l("Ignored (automatic replies, bounces)"),
}
OUTCOMES = {
    InboundStatus.APPENDED.value: _l("The message was added to its ticket."),
    InboundStatus.HELD.value: _l("The message is still held: %(reason)s"),
    InboundStatus.FAILED.value: _l("The message failed again: %(reason)s"),
    InboundStatus.IGNORED.value: _l("The message was ignored: %(reason)s"),
}


def _row_or_404(message_id: int) -> InboundMessage:
    row = db.session.get(InboundMessage, message_id) if 0 < message_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


@bp.get("")
@access(Role.ADMIN)
def index():
    """Held, failed or ignored messages, with the reason in the reader's language."""
    kind = request.args.get("show", "held")
    if kind not in LISTED:
        kind = "held"
    keys = (InboundMessage.received_at, InboundMessage.id)
    page = requested_page(listing(kind), keys, PER_PAGE, "inbound.index", show=kind)
    return render_template(
        "inbound/index.html",
        rows=page.items,
        after=request.args.get("after"),
        next_cursor=page.next_cursor,
        kind=kind,
        tabs=TABS,
        describe=describe,
        can_retry=can_retry,
    )


@bp.get("/<int:message_id>/original")
@serves_user_files
@access(Role.ADMIN)
def original(message_id: int):
    """The kept original, downloaded (never shown inline: it is a stranger's content)."""
    row = _row_or_404(message_id)
    if not row.raw:
        abort(404)
    return send_file(
        io.BytesIO(row.raw),
        mimetype="message/rfc822",
        as_attachment=True,
        download_name=f"message-{row.id}.eml",
    )


@bp.post("/<int:message_id>/retry")
@access(Role.ADMIN)
def retry(message_id: int):
    """Process a held or failed message again."""
    row = _row_or_404(message_id)
    kind = "failed" if row.status is InboundStatus.FAILED else "held"
    outcome = retry_message(row.id, actor=current_user)
    if outcome is None:
        abort(404)
    row = db.session.get(InboundMessage, message_id)
    reason = describe(row.reason, row.data) if row is not None else ""
    category = "success" if outcome in ("appended",) else "error"
    flash(str(OUTCOMES[outcome]) % {"reason": reason}, category)
    return redirect(url_for("inbound.index", show=kind))
