"""What a notification says: headline, e-mail subject and bodies, in the recipient's language."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from babel.support import NullTranslations
from flask import current_app
from flask_babel import force_locale, get_locale, get_translations
from jinja2 import Environment, pass_context
from jinja2.defaults import DEFAULT_NAMESPACE
from jinja2.ext import InternationalizationExtension
from jinja2.runtime import Context
from markupsafe import Markup

from desk.core.i18n import datetime_formatter, template_message
from desk.core.i18n import lazy_gettext as _l
from desk.notifications.models import EVENT_PRIORITY, NotificationEvent
from desk.tickets.models import Status, localized_subject
from desk.tickets.subjects import join_marked, split_subject
from desk.tickets.workflow import STATUS_LABELS

E = NotificationEvent
HEADLINES = {
    E.SUBMITTED: _l("Request received"),
    E.ASSIGNED: _l("Assigned to you"),
    E.TRANSFERRED: _l("Transferred to your queue"),
    E.TRANSFERRED_AWAY: _l("Transferred to another queue"),
    E.TAKEN_OVER: _l("No longer assigned to you"),
    E.FINISHED: _l("Finished by a colleague"),
    E.RETURNED: _l("Back in your queue, unassigned"),
    E.NOTED: _l("A colleague’s note for you"),
    E.FOLLOW_UP: _l("Your reminder"),
    E.REPLIED: _l("New reply from the service desk"),
    E.COMMENTED: _l("New message from the requester"),
    E.WAITING: _l("Your answer is needed"),
    # No colon: the subject adds one before the ticket's subject.
    E.REMINDER: _l("Your answer is still needed"),
    E.RESOLVED: _l("Your request is resolved"),
    E.CLOSED: _l("Your request is closed"),
    E.SLA_WARNING: _l("Deadline approaching"),
    E.SLA_BREACHED: _l("Deadline missed"),
    E.NEW_TICKET: _l("New ticket in your queue"),
    E.REOPENED: _l("Reopened by the requester"),
    E.CANCELLED: _l("Cancelled by the requester"),
    E.INBOUND_ALERT: _l("Incoming e-mail held"),
    E.DISRUPTION_ENDED: _l("Disruption over"),
    E.WATCHER_ADDED: _l("You are in copy of a request"),
    E.REPLY_REFUSED: _l("Your message was not added"),
    E.FILE_REFUSED: _l("Your message was not added"),
}
# What changes for the people a ticket is about rather than for its staff: those in copy
# (desk.watchers) follow someone else's request, and a requester may hear of their message.
ROLE_HEADLINES = {
    "requester": {E.COMMENTED: _l("New message on your request")},
    "watcher": {
        E.REPLIED: _l("New reply on a request you follow"),
        E.COMMENTED: _l("New message on a request you follow"),
        E.WAITING: _l("An answer is needed on a request you follow"),
        E.RESOLVED: _l("A request you follow is resolved"),
        E.CLOSED: _l("A request you follow is closed"),
    },
    # Staff told of a message written by someone in copy rather than by the requester.
    "staff:in_copy": {E.COMMENTED: _l("New message from someone in copy")},
    # Staff told of a resolved ticket a colleague reopened (staff may, not only its requester).
    "staff:by_staff": {E.REOPENED: _l("Reopened by a colleague")},
    # An administrator told only because nobody in the ticket's queue is present: not theirs.
    "staff:unattended": {E.RETURNED: _l("Back in a queue with nobody present, unassigned")},
}


def headline_key(role: str | None, item: dict[str, Any]) -> str:
    """Which of ROLE_HEADLINES names `item` for a recipient of `role`."""
    if role == "staff" and item.get("in_copy"):
        return "staff:in_copy"
    if role == "staff" and item.get("by_staff"):
        return "staff:by_staff"
    if role == "staff" and item.get("unattended"):
        return "staff:unattended"
    return role or ""


def snapshot_subject(ticket: dict[str, Any], locale: str) -> str:
    """A ticket snapshot's subject in `locale` (the title part; typed text stays as typed)."""
    subject = ticket.get("subject", "")
    title_fr = ticket.get("title_fr") or ""
    title = (ticket.get("title_en") or title_fr) if locale == "en" else title_fr
    return localized_subject(subject, title_fr, title)


def snapshot_subject_html(ticket: dict[str, Any], locale: str) -> Markup:
    """The same, escaped, with `lang` on what is in another language than `locale`."""
    title_fr = ticket.get("title_fr") or ""
    title = (ticket.get("title_en") or title_fr) if locale == "en" else title_fr
    parts = split_subject(
        ticket.get("subject", ""), title_fr, title, ticket.get("language"), locale[:2]
    )
    return join_marked(parts)


def main_event(events: list[dict[str, Any]]) -> NotificationEvent:
    """The event that names a merged message."""
    return min((E(e["event"]) for e in events), key=EVENT_PRIORITY.index)


def _main_item(events: list[dict[str, Any]]) -> dict[str, Any]:
    event = main_event(events)
    return next(e for e in events if E(e["event"]) is event)


def headline(events: list[dict[str, Any]], role: str | None = None) -> str:
    """A one-line title in the current language, for a recipient of `role` (the bell list)."""
    item = _main_item(events)
    event = E(item["event"])
    return str(ROLE_HEADLINES.get(headline_key(role, item), {}).get(event) or HEADLINES[event])


DATE_KEYS = ("due_at", "deadline", "since", "close_at", "also_due_at", "also_deadline")
# "Monday 23 November 2026, 17:00" / "lundi 23 novembre 2026, 17:00", in the display zone.
DATE_PATTERN = "EEEE d MMMM y, HH:mm"


def _datetime(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Language:
    """What the e-mails of one language need, looked up once per process.

    Through flask_babel, every `_()` of a template and every date finds the catalogue, the
    locale and the time zone again: a large share of the worker's CPU in a py-spy profile
    under load. Here the templates' `_` calls this language's catalogue directly, dates have
    a formatter of their own, and the lazy labels are read once.
    """

    translations: NullTranslations  # flask_babel's own catalogue of the language
    env: Environment  # the app's Jinja environment, `_` bound to `translations`
    when: Callable[[dt.datetime | None], str]  # a date for a sentence, in the display zone
    headlines: dict[NotificationEvent, str]
    role_headlines: dict[str, dict[NotificationEvent, str]]
    status_labels: dict[Status, str]

    def headline(self, event: NotificationEvent, role: str) -> str:
        """The headline of `event` for a recipient of `role`."""
        return self.role_headlines.get(role, {}).get(event) or self.headlines[event]

    def gettext(self, string: str, **variables: Any) -> str:
        """flask_babel's `gettext` in this language."""
        text = self.translations.ugettext(string)
        return text % variables if variables else text

    def message(self, stored: dict[str, Any]) -> str:
        """A message stored as data ({"msgid", "params"}: desk.inbound.reasons) in this
        language; a parameter an older row lacks shows as "?"."""
        params: defaultdict[str, Any] = defaultdict(lambda: "?", stored.get("params") or {})
        return self.translations.ugettext(str(stored.get("msgid", ""))) % params

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        """flask_babel's `ngettext` in this language."""
        variables.setdefault("num", num)
        return self.translations.ungettext(singular, plural, num) % variables


def email_language(code: str | None) -> Language:
    """The e-mails' `Language` for `code` (None: the default language), built on first use."""
    code = code or current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.extensions.setdefault("desk.email_languages", {})
    if code not in languages:
        languages[code] = _load_language(code)
    return languages[code]


def _load_language(code: str) -> Language:
    # flask_babel's own catalogue (its domain keeps one per language), and the lazy labels
    # read in it: the same strings as before, looked up once.
    with force_locale(code):
        translations = get_translations()
        locale = str(get_locale())
        headlines = {event: str(text) for event, text in HEADLINES.items()}
        role_headlines = {
            role: {event: str(text) for event, text in texts.items()}
            for role, texts in ROLE_HEADLINES.items()
        }
        status_labels = {status: str(label) for status, label in STATUS_LABELS.items()}
    # The app's environment (loader, autoescaping, filters), with a cache of its own: a copy of
    # the app's would hold templates compiled against the app's globals.
    env = current_app.jinja_env.overlay(cache_size=400)
    # Globals of its own too (an overlay shares its parent's dict, whose `_` must stay the web
    # pages'): Jinja's helpers and this catalogue only. The web globals are request-bound, and
    # copying their 45 entries into each render's context cost a fifth of the render.
    env.globals = dict(DEFAULT_NAMESPACE)
    # The overlay's `install_gettext_translations` is still the app's bound method (copied with
    # the attributes): install through the overlay's own copy of the extension.
    env.extensions[InternationalizationExtension.identifier]._install(translations, newstyle=True)
    # The catalogue's `gettext`, formatted as the pages' (« de » elided before a value); and
    # `_` bound to it directly, since Jinja's looks `gettext` up in the context at each call.
    env.globals["_"] = env.globals["gettext"] = _email_gettext(translations)
    # Its language never changes: its templates are compiled with their messages translated
    # in, as the pages' are (desk.core.jinja; the same newstyle formatting).
    env.folding = translations
    when = datetime_formatter(locale, current_app.config["DISPLAY_TIMEZONE"], DATE_PATTERN)
    return Language(translations, env, when, headlines, role_headlines, status_labels)


def _email_gettext(translations: NullTranslations) -> Callable[..., str]:
    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> str:
        return template_message(context, translations.ugettext(string), variables)

    return gettext


def _context(payload: dict[str, Any], notification_id: int, language: Language) -> dict[str, Any]:
    ticket = dict(payload["ticket"])
    ticket["resolution_due_at"] = _datetime(ticket.get("resolution_due_at"))
    locale = payload.get("locale", "fr")
    ticket["subject_html"] = snapshot_subject_html(ticket, locale)
    ticket["subject"] = snapshot_subject(ticket, locale)
    ticket["queue"] = ticket.get("queue_en") if locale == "en" else ticket.get("queue_fr")
    status = ticket.get("status")
    ticket["status_label"] = language.status_labels.get(Status(status), status) if status else ""
    role = payload.get("role", "requester")
    events = []
    for item in payload["events"]:
        item = dict(item)
        for key in DATE_KEYS:
            item[key] = _datetime(item.get(key))
        item["headline"] = language.headline(E(item["event"]), headline_key(role, item))
        if isinstance(item.get("why"), dict):  # a stored message: read in their language
            item["why"] = language.message(item["why"])
        events.append(item)
    base = current_app.config["BASE_URL"]
    return {
        "name": payload.get("name", ""),
        "locale": locale,
        "when": language.when,
        # Whether a reply to this e-mail would be refused: the footer must not invite one.
        "closed": closed_to_replies(role, status, events),
        "refused": any(e["event"] == E.REPLY_REFUSED.value for e in events),
        "catalogue_url": f"{base}/catalogue",
        "rate_url": _rate_url(payload, events, base),
        "role": role,
        "url": payload["url"],
        "ticket": ticket,
        "events": events,
        "reopen_days": current_app.config["REOPEN_WINDOW_DAYS"],
        "preferences_url": f"{base}/preferences/notifications",
        "notification_id": notification_id,
        # Replies by e-mail are read only when desk has a reply address to read them at.
        "can_reply": bool(current_app.config["REPLY_ADDRESS"]),
        # Told that a colleague's transfer, or their leaving its queue, took the ticket from
        # them: its page is no longer theirs to open, and a reply of theirs would be held, so
        # neither is offered.
        "moved_away": all(_moved_away(e) for e in events),
    }


def _moved_away(item: dict[str, Any]) -> bool:
    event = item["event"]
    return event == E.TRANSFERRED_AWAY.value or (
        event == E.TAKEN_OVER.value and bool(item.get("left"))
    )


def closed_to_replies(role: str, status: str | None, events: list[dict[str, Any]]) -> bool:
    """Whether a reply to this e-mail would be refused (desk.inbound holds it and answers
    that the request is closed). A requester's reply to a resolved request reopens it within
    the window and staff answer one; someone in copy can no longer write to it."""
    if status in (Status.CLOSED.value, Status.CANCELLED.value):
        return True
    if role == "watcher" and status == Status.RESOLVED.value:
        return True
    return any(e["event"] == E.REPLY_REFUSED.value for e in events)


def _digest_context(payload: dict[str, Any]) -> dict[str, Any]:
    locale = payload.get("locale", "fr")
    tickets = [
        {
            **t,
            "queue": t.get("queue_en") if locale == "en" else t.get("queue_fr"),
            "subject": snapshot_subject(t, locale),
            "subject_html": snapshot_subject_html(t, locale),
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
    language = email_language(payload.get("locale"))
    context = _digest_context(payload)
    subject = language.ngettext(
        "%(num)d new ticket in your queues",
        "%(num)d new tickets in your queues",
        len(context["tickets"]),
    )
    text = language.env.get_template("emails/digest.txt").render(context)
    html = language.env.get_template("emails/digest.html").render(context)
    return subject, text, html


def _released_context(payload: dict[str, Any]) -> dict[str, Any]:
    """The tickets a technician lost by leaving their queues, by queue, each told in the
    reader's language (desk.notifications.outbox bundles them into one e-mail)."""
    locale = payload.get("locale", "fr")
    queues: dict[str, list[dict[str, Any]]] = {}
    for t in payload["tickets"]:
        queue = t.get("queue_en") if locale == "en" else t.get("queue_fr")
        queues.setdefault(queue or "", []).append(
            {
                **t,
                "subject": snapshot_subject(t, locale),
                "subject_html": snapshot_subject_html(t, locale),
            }
        )
    base = current_app.config["BASE_URL"]
    return {"queues": list(queues.items()), "preferences_url": f"{base}/preferences/notifications"}


def _back_in_queue_context(payload: dict[str, Any]) -> dict[str, Any]:
    """The tickets back in the reader's queues without a technician, by queue and by the
    technician who let them go and why (desk.notifications.outbox bundles them)."""
    locale = payload.get("locale", "fr")
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for t in payload["tickets"]:
        queue = (t.get("queue_en") if locale == "en" else t.get("queue_fr")) or ""
        ticket = {
            **t,
            "subject": snapshot_subject(t, locale),
            "subject_html": snapshot_subject_html(t, locale),
        }
        # An admin told only because nobody in the queue is present ("unattended"): not
        # "your queue", which it is not; one who is also a member of another hears both.
        key = (queue, t.get("reason", ""), t.get("former", ""), bool(t.get("unattended")))
        groups.setdefault(key, []).append(ticket)
    base = current_app.config["BASE_URL"]
    return {
        "groups": [
            {
                "queue": queue,
                "reason": reason,
                "former": former,
                "unattended": unattended,
                "tickets": tickets,
            }
            for (queue, reason, former, unattended), tickets in groups.items()
        ],
        "unattended": any(t.get("unattended") for t in payload["tickets"]),
        "only_unattended": _only_unattended(payload),
        "preferences_url": f"{base}/preferences/notifications",
    }


def _only_unattended(payload: dict[str, Any]) -> bool:
    """Every ticket of a back-in-queue e-mail told to an admin for a queue nobody is in."""
    return all(t.get("unattended") for t in payload["tickets"])


def refused_request_subject(language: Language, subject: str) -> str:
    """The subject of the answer to a new request by e-mail that one of its files kept from
    opening, in `language`; desk.inbound.requests reads its words off the subject of a reply
    to it, so that the request then opened is called `subject` alone."""
    return language.gettext("Your request was not opened: %(subject)s", subject=subject)


# What an alert adds to its template's context (over its payload), and its subject.
AlertParts = tuple[dict[str, Any], str]


def _disruption_ended(payload: dict[str, Any], language: Language) -> AlertParts:
    """To the followers of a disruption that is over, or of planned work called off: its
    title in English for a reader who chose it and has one, in French otherwise."""
    english = (payload.get("locale") or "")[:2] == "en" and payload.get("title_en")
    title = payload["title_en"] if english else payload["title_fr"]
    context = {"title": title, "title_lang": "en" if english else "fr"}
    if payload.get("cancelled"):
        return context, language.gettext("Planned work called off: %(title)s", title=title)
    return context, language.gettext("Disruption over: %(title)s", title=title)


def _released(payload: dict[str, Any], language: Language) -> AlertParts:
    """To a technician who left their queues: the tickets they held."""
    subject = language.ngettext(
        "No longer assigned to you: %(num)d ticket you held is back in its queue",
        "No longer assigned to you: %(num)d tickets you held are back in their queue",
        len(payload["tickets"]),
    )
    return _released_context(payload), subject


def _back_in_queue(payload: dict[str, Any], language: Language) -> AlertParts:
    """To a queue's members: the tickets back in it without a technician; to the admins
    when nobody in it is present, in words of their own."""
    if _only_unattended(payload):
        subject = language.ngettext(
            "Back in a queue with nobody present, unassigned: %(num)d ticket",
            "Back in a queue with nobody present, unassigned: %(num)d tickets",
            len(payload["tickets"]),
        )
    else:
        subject = language.ngettext(
            "Back in your queue, unassigned: %(num)d ticket",
            "Back in your queue, unassigned: %(num)d tickets",
            len(payload["tickets"]),
        )
    return _back_in_queue_context(payload), subject


def _request_file_refused(payload: dict[str, Any], language: Language) -> AlertParts:
    """To the sender of a new request by e-mail held for one of its files."""
    # The reason is a stored message (desk.inbound.reasons): read in their language.
    why = payload.get("why")
    context = {"why": language.message(why)} if isinstance(why, dict) else {}
    return context, refused_request_subject(language, payload.get("subject") or "…")


def _incoming_mail_held(payload: dict[str, Any], language: Language) -> AlertParts:
    """To the admins: a sender's incoming e-mail held (desk.inbound.alerts)."""
    return {}, language.gettext("Incoming e-mail from %(sender)s is held", sender=payload["sender"])


# By alert name, which is also its templates' (emails/<name>.txt and .html); any other is
# the admins' alert about held incoming mail.
ALERTS: dict[str, Callable[[dict[str, Any], Language], AlertParts]] = {
    "disruption_ended": _disruption_ended,
    "released": _released,
    "back_in_queue": _back_in_queue,
    "request_file_refused": _request_file_refused,
}


def render_alert(payload: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of an e-mail about no ticket: to the admins about incoming mail,
    to the followers of a disruption that is over (or of planned work called off), to the
    sender of a new request by e-mail held for one of its files, to technicians about the
    tickets they or their queue lost or got back (bundled)."""
    language = email_language(payload.get("locale"))
    parts = ALERTS.get(payload["alert"], _incoming_mail_held)
    additions, subject = parts(payload, language)
    context = {**payload, **additions}
    text = language.env.get_template(f"emails/{payload['alert']}.txt").render(context)
    html = language.env.get_template(f"emails/{payload['alert']}.html").render(context)
    return " ".join(subject.split()), text, html


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
    language = email_language(payload.get("locale"))
    context = _context(payload, notification_id, language)
    ticket = context["ticket"]
    subject = language.gettext(
        "[%(reference)s] %(headline)s: %(subject)s",
        reference=ticket["reference"],
        headline=language.headline(
            main_event(payload["events"]),
            headline_key(payload.get("role"), _main_item(payload["events"])),
        ),
        subject=ticket["subject"],
    )
    text = language.env.get_template("emails/message.txt").render(context)
    html = language.env.get_template("emails/message.html").render(context)
    return " ".join(subject.split()), text, html
