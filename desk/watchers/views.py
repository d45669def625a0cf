"""Putting people in copy of a ticket (its requester and its staff), and leaving it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from desk.core.access import AUTHENTICATED, access
from desk.core.forms import DeskForm
from desk.core.i18n import lazy_gettext as _l
from desk.extensions import db
from desk.tickets.access import can_work, get_visible_ticket_or_404
from desk.tickets.models import Ticket
from desk.watchers import services
from desk.watchers.forms import WatcherForm
from desk.watchers.services import MAX_WATCHERS, WatcherError

bp = Blueprint("watchers", __name__, url_prefix="/demandes")

REFUSED = {
    "unknown": _l("Nobody at the university has this address: check it."),
    "directory": _l("The directory cannot be reached just now: try again in a moment."),
    "requester": _l("This is the requester of the ticket: they follow it already."),
    "already": _l("This person is already in copy."),
    "full": _l("%(max)d people at most can be in copy.", max=MAX_WATCHERS),
    "finished": _l("This ticket is finished: nobody more can be put in copy."),
    "not_allowed": _l("Only the requester and the staff of the ticket can do this."),
}
# Refusals about the address typed: shown next to the field.
FIELD_REFUSALS = {"unknown", "directory", "requester", "already"}


@bp.app_template_global("ticket_watchers")
def ticket_watchers(ticket: Ticket) -> list:
    """The staff ticket page: who is in copy."""
    return services.watchers_of(ticket)


def _ticket_page(ticket: Ticket) -> str:
    """Back where the actor reads the ticket: its staff page, or the requester's page."""
    if can_work(current_user, ticket):
        return url_for("queues.ticket", reference=ticket.reference)
    return url_for("portal.detail", reference=ticket.reference)


def _managed_ticket(reference: str, *, for_update: bool = False) -> Ticket:
    ticket = get_visible_ticket_or_404(current_user, reference[:40], for_update=for_update)
    if not services.may_manage(current_user, ticket):
        abort(403)
    return ticket


@bp.route("/<reference>/en-copie", methods=["GET", "POST"])
@access(AUTHENTICATED)
def manage(reference: str):
    """Who is in copy of the ticket; put someone in copy by their address."""
    form = WatcherForm()
    # A POST holds the ticket's row until its commit: two additions at once queue up, and the
    # limit of people in copy holds.
    ticket = _managed_ticket(reference, for_update=form.is_submitted())
    if form.validate_on_submit():
        try:
            person = services.add_watcher(ticket, form.email.data, actor=current_user)
        except WatcherError as exc:
            db.session.rollback()
            if exc.kind not in FIELD_REFUSALS:
                flash(str(REFUSED[exc.kind]), "error")
                return redirect(_ticket_page(ticket))
            form.email.errors = [REFUSED[exc.kind]]
            ticket = _managed_ticket(reference)
        else:
            name = person.display_name
            flash(_("%(name)s is in copy and has been told by e-mail.", name=name), "success")
            return redirect(url_for(".manage", reference=ticket.reference))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "watchers/manage.html",
        ticket=ticket,
        form=form,
        watchers=services.watchers_of(ticket),
        back=_ticket_page(ticket),
        max_watchers=MAX_WATCHERS,
        button_form=DeskForm(),
    ), status


@bp.post("/<reference>/en-copie/<int:user_id>/retrait")
@access(AUTHENTICATED)
def remove(reference: str, user_id: int):
    """Take someone out of copy; someone in copy takes themselves out."""
    ticket = get_visible_ticket_or_404(current_user, reference[:40], for_update=True)
    if not DeskForm().validate_on_submit():
        abort(400)
    try:
        removed = services.remove_watcher(ticket, user_id, actor=current_user)
    except WatcherError:
        db.session.rollback()
        abort(403)
    if user_id == current_user.id:
        if removed:
            flash(_("You are no longer in copy of %(reference)s.", reference=ticket.reference))
        return redirect(url_for("portal.index"))
    if removed:
        flash(_("Taken out of copy."), "success")
    return redirect(url_for(".manage", reference=ticket.reference))
