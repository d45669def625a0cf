"""What a notification says: headline, e-mail subject and bodies, in the recipient's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_datetime, ngettext
from flask_babel import gettext as _

from desk.core.i18n import lazy_gettext as _l
from desk.notifications.models import EVENT_PRIORITY, NotificationEvent
from desk.tickets.models import Status, localized_subject
from desk.tickets.workflow import STATUS_LABELS

E = NotificationEvent
HEADLINES = {
    E.SUBMITTED: _l("Request received"),
    E.ASSIGNED: _l("Assigned to you"),
    E.TRANSFERRED: _l("Transferred to your queue"),
    E.REPLIED: _l("New reply from the service desk"),
    E.COMMENTED: _l("New message from the requester"),
    E.WAITING: _l("Your answer is needed"),
    E.REMINDER: _l("Reminder: your answer is needed"),
    E.RESOLVED: _l("Your request is resolved"),
    E.CLOSED: _l("Your request is closed"),
    E.SLA_WARNING: _l("Deadline approaching"),
    E.SLA_BREACHED: _l("Deadline missed"),
    E.NEW_TICKET: _l("New ticket in your queue"),
    E.REOPENED: _l("Reopened by the requester"),
    E.INBOUND_ALERT: _l("Incoming e-mail held"),
}


def snapshot_subject(ticket: dict[str, Any], locale: str) -> str:
    """A ticket snapshot's subject in `locale` (the title part; typed text stays as typed)."""
    subject = ticket.get("subject", "")
    title_fr = ticket.get("title_fr") or ""
    title = (ticket.get("title_en") or title_fr) if locale == "en" else title_fr
    return localized_subject(subject, title_fr, title)


def main_event(events: list[dict[str, Any]]) -> NotificationEvent:
    """The event that names a merged message."""
    return min((E(e["event"]) for e in events), key=EVENT_PRIORITY.index)


def headline(events: list[dict[str, Any]]) -> str:
    """A one-line title in the current language (used by the bell list and the subject)."""
    return str(HEADLINES[main_event(events)])


DATE_KEYS = ("due_at", "deadline", "since", "close_at")
# "Monday 23 November 2026, 17:00" / "lundi 23 novembre 2026, 17:00", in the display zone.
DATE_PATTERN = "EEEE d MMMM y, HH:mm"


def _datetime(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def when(value: dt.datetime | None) -> str:
    """A date for a sentence, in the current language and the display time zone."""
    return format_datetime(value, DATE_PATTERN) if value else ""


def _context(payload: dict[str, Any], notification_id: int) -> dict[str, Any]:
    ticket = dict(payload["ticket"])
    ticket["resolution_due_at"] = _datetime(ticket.get("resolution_due_at"))
    locale = payload.get("locale", "fr")
    ticket["subject"] = snapshot_subject(ticket, locale)
    ticket["queue"] = ticket.get("queue_en") if locale == "en" else ticket.get("queue_fr")
    status = ticket.get("status")
    ticket["status_label"] = str(STATUS_LABELS.get(Status(status), status)) if status else ""
    events = []
    for item in payload["events"]:
        item = dict(item)
        for key in DATE_KEYS:
            item[key] = _datetime(item.get(key))
        item["headline"] = str(HEADLINES[E(item["event"])])
        events.append(item)
    base = current_app.config["BASE_URL"]
    return {
        "name": payload.get("name", ""),
        "locale": locale,
        "when": when,
        "rate_url": _rate_url(payload, events, base),
        "role": payload.get("role", "requester"),
        "url": payload["url"],
        "ticket": ticket,
        "events": events,
        "reopen_days": current_app.config["REOPEN_WINDOW_DAYS"],
        "preferences_url": f"{base}/preferences/notifications",
        "notification_id": notification_id,
        # Replies by e-mail are read only when desk has a reply address to read them at.
        "can_reply": bool(current_app.config["REPLY_ADDRESS"]),
    }


def _digest_context(payload: dict[str, Any]) -> dict[str, Any]:
    locale = payload.get("locale", "fr")
    tickets = [
        {
            **t,
            "queue": t.get("queue_en") if locale == "en" else t.get("queue_fr"),
            "subject": snapshot_subject(t, locale),
        }
        for t in payload["tickets"]
    ]
    base = current_app.config["BASE_URL"]
    return {
        "name": payload.get("name", ""),
        "locale": locale,
        "url": payload["url"],
        "tickets": tickets,
        "preferences_url": f"{base}/preferences/notifications",
    }


def render_digest(payload: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of a digest of new tickets."""
    env = current_app.jinja_env
    with force_locale(payload.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]):
        context = _digest_context(payload)
        subject = ngettext(
            "%(num)d new ticket in your queues",
            "%(num)d new tickets in your queues",
            len(context["tickets"]),
        )
        text = env.get_template("emails/digest.txt").render(context)
        html = env.get_template("emails/digest.html").render(context)
    return subject, text, html


def render_alert(payload: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of an e-mail to the admins about incoming mail."""
    env = current_app.jinja_env
    with force_locale(payload.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Incoming e-mail from %(sender)s is held", sender=payload["sender"])
        text = env.get_template(f"emails/{payload['alert']}.txt").render(payload)
        html = env.get_template(f"emails/{payload['alert']}.html").render(payload)
    return subject, text, html


def _rate_url(payload: dict[str, Any], events: list[dict[str, Any]], base: str) -> str | None:
    """The signed rating link, for the requester told of a resolution."""
    if payload.get("role") != "requester" or not payload.get("user_id"):
        return None
    if not any(e["event"] == E.RESOLVED.value for e in events):
        return None
    try:
        from desk.satisfaction.services import link_token
    except ImportError:  # satisfaction feature absent
        return None
    return f"{base}/evaluation/{link_token(payload['ticket']['reference'], payload['user_id'])}"


def render_email(payload: dict[str, Any], notification_id: int) -> tuple[str, str, str]:
    """(subject, text, html) of an e-mail row, in the language stored with the recipient.

    Jinja is used directly (not render_template) so no request-bound context processor runs
    in the worker.
    """
    if payload.get("digest"):
        return render_digest(payload)
    if payload.get("alert"):
        return render_alert(payload)
    env = current_app.jinja_env
    with force_locale(payload.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]):
        context = _context(payload, notification_id)
        ticket = context["ticket"]
        subject = _(
            "[%(reference)s] %(headline)s: %(subject)s",
            reference=ticket["reference"],
            headline=headline(payload["events"]),
            subject=ticket["subject"],
        )
        text = env.get_template("emails/message.txt").render(context)
        html = env.get_template("emails/message.html").render(context)
    return " ".join(subject.split()), text, html
