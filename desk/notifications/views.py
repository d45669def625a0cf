"""The bell, the notification list, e-mail preferences, and the admins' failed e-mails."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import func, select

from desk.auth.models import Role
from desk.core.access import AUTHENTICATED, access
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import local_path
from desk.core.keyset import requested_page
from desk.core.templating import ADMIN_MENU, HEADER_PARTIALS, USER_MENU, register_nav
from desk.extensions import db
from desk.notifications import services
from desk.notifications.bell import bell_entries
from desk.notifications.content import headline, snapshot_subject_html
from desk.notifications.models import (
    EVENT_LABELS,
    MANDATORY_EVENTS,
    NEW_TICKET_MODE_LABELS,
    STAFF_EVENTS,
    Channel,
    DeliveryStatus,
    NewTicketMode,
    Notification,
    NotificationEvent,
)

bp = Blueprint("notifications", __name__)
PER_PAGE = 30
E = NotificationEvent
REQUESTER_EVENTS = (
    E.SUBMITTED,
    E.WAITING,
    E.REPLIED,
    E.FOLLOWED_MESSAGE,
    E.RESOLVED,
    E.CLOSED,
    E.WATCHER_ADDED,
)

STATUS_LABELS = {
    DeliveryStatus.PENDING: _l("Waiting to be sent"),
    DeliveryStatus.SENDING: _l("Being sent"),
    DeliveryStatus.SENT: _l("Sent"),
    DeliveryStatus.FAILED: _l("Failed"),
    DeliveryStatus.WITHDRAWN: _l("Not sent, no longer news"),
}

if "notifications/_bell.html" not in HEADER_PARTIALS:
    HEADER_PARTIALS.append("notifications/_bell.html")
register_nav(
    _l("E-mail notifications"), "notifications.preferences", tuple(Role), 40, menu=USER_MENU
)
register_nav(_l("Failed e-mails"), "notifications.failed", (Role.ADMIN,), 45, menu=USER_MENU)
register_nav(_l("Failed e-mails"), "notifications.failed", (Role.ADMIN,), 80, menu=ADMIN_MENU)


@bp.app_context_processor
def _bell_helpers() -> dict:
    # A function, so the COUNT runs only where the bell is drawn (logged-in pages).
    return {
        "notification_unread_count": lambda: services.unread_count(current_user),
        "notification_headline": headline,
        "notification_subject": lambda ticket: snapshot_subject_html(ticket, str(get_locale())),
        # The ticket's queue when the message was written (named as it is now: its id,
        # desk.notifications.bell), in the reader's language.
        "notification_queue": lambda ticket: ticket.get(
            "queue_en" if str(get_locale())[:2] == "en" else "queue_fr", ""
        ),
    }


@bp.get("/notifications")
@access(AUTHENTICATED)
def inbox():
    """The user's in-app notifications, newest first."""
    page = requested_page(
        services.inbox_query(current_user), (Notification.id,), PER_PAGE, "notifications.inbox"
    )
    return render_template(
        "notifications/list.html",
        items=bell_entries(current_user, page.items),
        after=request.args.get("after"),
        next_cursor=page.next_cursor,
        unread=services.unread_count(current_user),
    )


@bp.post("/notifications/<int:notification_id>/read")
@access(AUTHENTICATED)
def mark_read(notification_id: int):
    """Mark one notification as read, then go where the user asked (the ticket or the list)."""
    services.mark_read(current_user, notification_id)
    return redirect(local_path(request.form.get("next")) or url_for("notifications.inbox"))


@bp.post("/notifications/read-all")
@access(AUTHENTICATED)
def mark_all_read():
    """Mark every notification of the user as read."""
    count = services.mark_read(current_user)
    flash(_l("Notifications marked as read: %(count)s.", count=count), "success")
    return redirect(url_for("notifications.inbox"))


@bp.route("/preferences/notifications", methods=["GET", "POST"])
@access(AUTHENTICATED)
def preferences():
    """Per-event e-mail switches (the acknowledgement and "waiting on you" stay on) and,
    for staff, how new tickets in their queues reach them."""
    is_staff = current_user.role is not Role.REQUESTER
    if request.method == "POST":
        mode = None
        if is_staff:
            raw = request.form.get("new_ticket_mode", "")
            mode = NewTicketMode(raw) if raw in set(NewTicketMode) else None
            if mode is None:
                flash(_l("Choose how new tickets reach you."), "error")
                return _preferences_page(error=True), 400
        chosen = set(request.form.getlist("email"))
        enabled = {e for e in NotificationEvent if e.value in chosen}
        offered = REQUESTER_EVENTS + (STAFF_EVENTS if is_staff else ())
        services.set_email_preferences(current_user, enabled, actor=current_user, offered=offered)
        if mode is not None:
            services.set_new_ticket_mode(current_user, mode, actor=current_user)
        flash(_l("Your e-mail preferences are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return _preferences_page()


def _preferences_page(*, error: bool = False) -> str:
    groups = [(_l("About my requests"), REQUESTER_EVENTS)]
    if current_user.role is not Role.REQUESTER:
        groups.append((_l("About the tickets I handle"), STAFF_EVENTS))
    return render_template(
        "notifications/preferences.html",
        groups=groups,
        choices=services.email_preferences(current_user),
        labels=EVENT_LABELS,
        mandatory=MANDATORY_EVENTS,
        is_staff=current_user.role is not Role.REQUESTER,
        new_ticket_mode=services.new_ticket_modes([current_user.id])[current_user.id],
        new_ticket_modes=NEW_TICKET_MODE_LABELS,
        mode_error=error,
    )


@bp.get("/admin/notifications")
@access(Role.ADMIN)
def failed():
    """E-mails given up on, with their reason and a retry button; the outbox at a glance."""
    page = requested_page(
        services.failed_query(), (Notification.id,), PER_PAGE, "notifications.failed"
    )
    counts = dict(
        db.session.execute(
            select(Notification.status, func.count())
            .where(Notification.channel == Channel.EMAIL)
            .group_by(Notification.status)
        ).all()
    )
    return render_template(
        "notifications/failed.html",
        rows=page.items,
        after=request.args.get("after"),
        next_cursor=page.next_cursor,
        counts=counts,
        statuses=list(DeliveryStatus),
        status_labels=STATUS_LABELS,
    )


@bp.post("/admin/notifications/<int:notification_id>/retry")
@access(Role.ADMIN)
def retry(notification_id: int):
    """Send a failed e-mail again (a fresh set of attempts)."""
    if not services.retry_failed(notification_id, actor=current_user):
        abort(404)
    flash(_l("The e-mail is queued again."), "success")
    return redirect(url_for("notifications.failed"))
