"""My requests: the requester's tickets, a ticket's page and the requester's actions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from desk.auth.models import Role
from desk.core.access import AUTHENTICATED, access
from desk.core.i18n import lazy_gettext as _l
from desk.core.keyset import requested_page
from desk.core.limits import search_limit
from desk.core.templating import register_nav
from desk.core.transactions import commit_keeping_state
from desk.extensions import db
from desk.notifications.services import mark_ticket_seen
from desk.portal.forms import CancelForm, CommentForm, ReopenForm
from desk.tickets.access import (
    get_followed_ticket_or_404,
    get_visible_ticket_or_404,
    load_timeline_files,
    timeline_events,
    visible_tickets,
    watched_clause,
)
from desk.tickets.attachments import say_file_not_sent
from desk.tickets.models import OPEN_STATUSES, Ticket, status_in
from desk.tickets.services import (
    ActionRefused,
    answer_on_page,
    can_cancel,
    can_comment,
    can_reopen,
    cancel_ticket,
    reopen_ticket,
)
from desk.tickets.workflow import STATUS_LABELS
from desk.watchers.services import may_manage, watchers_of

bp = Blueprint("portal", __name__)

register_nav(_l("My requests"), "portal.index", tuple(Role), 20)

PER_PAGE = 20
FILTERS = ("open", "closed", "all", "copy")


def _own_ticket(reference: str, *, for_update: bool = False) -> Ticket:
    """The user's own ticket: anybody else's answers 404, as if it did not exist."""
    ticket = get_visible_ticket_or_404(current_user, reference, for_update=for_update)
    if ticket.requester_id != current_user.id:
        abort(404)
    return ticket


def _followed_ticket(reference: str, *, for_update: bool = False) -> Ticket:
    """The user's own ticket, or one they are in copy of (desk.watchers)."""
    return get_followed_ticket_or_404(current_user, reference, for_update=for_update)


def _render(ticket: Ticket, *, comment=None, cancel=None, reopen=None, status: int = 200):
    events = [e for e in timeline_events(current_user, ticket) if not e.is_internal]
    load_timeline_files(current_user, events, internal=False)
    # Someone in copy reads and writes; cancelling, reopening and rating are the requester's.
    own = ticket.requester_id == current_user.id
    return render_template(
        "portal/detail.html",
        ticket=ticket,
        events=events,
        status_labels=STATUS_LABELS,
        own=own,
        watchers=watchers_of(ticket),
        manage_watchers=may_manage(current_user, ticket),
        comment_form=(comment or CommentForm()) if can_comment(ticket) else None,
        cancel_form=(cancel or CancelForm()) if own and can_cancel(ticket) else None,
        reopen_form=(reopen or ReopenForm()) if own and can_reopen(ticket) else None,
    ), status


@bp.get("/mes-demandes")
@access(AUTHENTICATED)
@search_limit
def index():
    """The tickets the user asked for, newest first, filtered by open or closed; or those they
    are in copy of."""
    shown = request.args.get("show", "open")
    shown = shown if shown in FILTERS else "open"
    if shown == "copy":
        query = (
            visible_tickets(current_user)
            .where(watched_clause(current_user))
            .options(joinedload(Ticket.requester))
        )
    else:
        query = visible_tickets(current_user).where(Ticket.requester_id == current_user.id)
    if shown == "open":
        query = query.where(status_in(OPEN_STATUSES))
    elif shown == "closed":
        query = query.where(~status_in(OPEN_STATUSES))
    keys = (Ticket.created_at, Ticket.id)
    page = requested_page(query, keys, PER_PAGE, "portal.index", show=shown)
    return render_template(
        "portal/index.html",
        page=page,
        shown=shown,
        first_page="after" in request.args,
        status_labels=STATUS_LABELS,
    )


@bp.get("/mes-demandes/<reference>")
@access(AUTHENTICATED)
def detail(reference: str):
    """A ticket's page: its data, its public timeline and what the requester (or someone in
    copy) can do."""
    ticket = _followed_ticket(reference)
    if mark_ticket_seen(current_user, ticket.id):
        commit_keeping_state()  # the page shows the ticket as just read
    return _render(ticket)


def _done(ticket: Ticket, message: str):
    flash(message, "success")
    return redirect(url_for("portal.detail", reference=ticket.reference))


def _conflict(reference: str):
    db.session.rollback()
    flash(_("The ticket changed in the meantime. Check it and try again."), "warning")
    return redirect(url_for("portal.detail", reference=reference))


def _act(
    reference: str, form_class, form_name: str, action, done_message: str, *, copy: bool = False
):
    """The requester's actions share one flow: own ticket (locked), form, service, answer;
    with `copy`, someone in copy may act too.

    An invalid form re-renders the page with its errors (400); a refusal from the service is
    flashed; a concurrent change answers the conflict page.
    """
    find = _followed_ticket if copy else _own_ticket
    ticket = find(reference, for_update=True)
    form = form_class()
    if not form.validate_on_submit():
        say_file_not_sent(form)  # the comment's file, as on the technicians' page
        return _render(ticket, **{form_name: form}, status=400)
    try:
        said = action(ticket, form)
    except ActionRefused as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("portal.detail", reference=reference))
    except StaleDataError:
        return _conflict(reference)
    # An action may say what it did instead (a message that reopened the request).
    return _done(ticket, said if isinstance(said, str) else done_message)


@bp.post("/mes-demandes/<reference>/commentaire")
@access(AUTHENTICATED)
def comment(reference: str):
    """Add a comment and/or a file to one's own ticket, or to one in copy; the requester's
    words to a request resolved while they wrote reopen it (`answer_on_page`)."""
    return _act(
        reference,
        CommentForm,
        "comment",
        lambda t, f: (
            _("Your request has been reopened.")
            if answer_on_page(t, current_user, f.body.data or "", f.checked)
            else None
        ),
        _("Your message has been added."),
        copy=True,
    )


@bp.post("/mes-demandes/<reference>/annulation")
@access(AUTHENTICATED)
def cancel(reference: str):
    """Cancel one's own ticket while it is not resolved."""
    return _act(
        reference,
        CancelForm,
        "cancel",
        lambda t, f: cancel_ticket(t, current_user, reason=f.reason.data or ""),
        _("Your request has been cancelled."),
    )


@bp.post("/mes-demandes/<reference>/reouverture")
@access(AUTHENTICATED)
def reopen(reference: str):
    """Reopen one's own resolved ticket within the reopening window."""
    return _act(
        reference,
        ReopenForm,
        "reopen",
        lambda t, f: reopen_ticket(t, current_user, reason=f.reason.data or ""),
        _("Your request has been reopened."),
    )
