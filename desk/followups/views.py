"""A technician's reminders: the list of those to come, and dropping one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from desk.core.access import STAFF, access
from desk.followups import services

bp = Blueprint("followups", __name__)


@bp.get("/rappels")
@access(*STAFF)
def index():
    """The reminders one has set and that are still to come, soonest first."""
    return render_template("followups/index.html", followups=services.upcoming(current_user))


@bp.post("/rappels/<int:followup_id>/suppression")
@access(*STAFF)
def cancel(followup_id: int):
    """Drop one of one's reminders (someone else's, or one already sent, is not found)."""
    ticket = services.cancel_followup(followup_id, actor=current_user._get_current_object())
    if ticket is None:
        abort(404)
    flash(_("The reminder is cancelled."), "success")
    return redirect(url_for("queues.ticket", reference=ticket.reference))
