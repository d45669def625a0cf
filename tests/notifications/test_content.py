"""E-mails rendered with one Jinja environment and catalogue per language (no flask_babel
lookup per `_()` or per date) are byte for byte what flask_babel rendered: every event, in
French and in English, digests and alerts. The reference is that earlier rendering, kept here."""

from __future__ import annotations

from typing import Any

import pytest
from flask import current_app
from flask_babel import force_locale, format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from itsdangerous.timed import TimestampSigner

from desk.auth.models import Role
from desk.core.i18n import first_of_month
from desk.notifications.content import (
    DATE_KEYS,
    DATE_PATTERN,
    _datetime,
    _rate_url,
    closed_to_replies,
    email_language,
    headline,
    render_email,
    snapshot_subject,
    snapshot_subject_html,
)
from desk.notifications.models import Channel, NotificationEvent
from desk.tickets.models import Status
from desk.tickets.workflow import STATUS_LABELS
from tests.notifications.helpers import rows, submit
from tests.support.factories import make_queue, make_request_type, make_user

E = NotificationEvent
LOCALES = ["fr", "en"]
MONDAY = "2026-11-23T16:00:00+00:00"  # 17:00 in Paris
FRIDAY = "2026-11-20T08:30:00+00:00"
SUMMER = "2026-07-01T21:45:00+00:00"  # 23:45 in Paris (summer time)


# --- The rendering through flask_babel, as content.py did it before ---------------------------


def _old_when(value):
    # Babel's, with French's « 1er » (desk.core.i18n.first_of_month)
    return first_of_month(format_datetime(value, DATE_PATTERN), str(get_locale())) if value else ""


def _old_context(payload: dict[str, Any], notification_id: int) -> dict[str, Any]:
    ticket = dict(payload["ticket"])
    ticket["resolution_due_at"] = _datetime(ticket.get("resolution_due_at"))
    locale = payload.get("locale", "fr")
    ticket["subject_html"] = snapshot_subject_html(ticket, locale)
    ticket["subject"] = snapshot_subject(ticket, locale)
    ticket["queue"] = ticket.get("queue_en") if locale == "en" else ticket.get("queue_fr")
    status = ticket.get("status")
    ticket["status_label"] = str(STATUS_LABELS.get(Status(status), status)) if status else ""
    events = []
    for item in payload["events"]:
        item = dict(item)
        for key in DATE_KEYS:
            item[key] = _datetime(item.get(key))
        item["headline"] = headline([item], payload.get("role"))
        if isinstance(item.get("why"), dict):  # a stored message, as desk.inbound.reasons reads it
            item["why"] = _(item["why"]["msgid"], **item["why"]["params"])
        events.append(item)
    base = current_app.config["BASE_URL"]
    return {
        "name": payload.get("name", ""),
        "locale": locale,
        "when": _old_when,
        "rate_url": _rate_url(payload, events, base),
        "role": payload.get("role", "requester"),
        "url": payload["url"],
        "ticket": ticket,
        "events": events,
        "reopen_days": current_app.config["REOPEN_WINDOW_DAYS"],
        "preferences_url": f"{base}/preferences/notifications",
        "notification_id": notification_id,
        "can_reply": bool(current_app.config["REPLY_ADDRESS"]),
        "closed": closed_to_replies(payload.get("role", "requester"), status, events),
        "refused": any(e["event"] == "reply_refused" for e in events),
        "catalogue_url": f"{base}/catalogue",
        "moved_away": all(
            e["event"] == "transferred_away" or (e["event"] == "taken_over" and e.get("left"))
            for e in events
        ),
    }


def old_render_email(payload: dict[str, Any], notification_id: int) -> tuple[str, str, str]:
    env = current_app.jinja_env
    with force_locale(payload.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if payload.get("digest"):
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
            context = {
                "name": payload.get("name", ""),
                "locale": locale,
                "url": payload["url"],
                "tickets": tickets,
                "preferences_url": f"{base}/preferences/notifications",
            }
            subject = ngettext(
                "%(num)d new ticket in your queues",
                "%(num)d new tickets in your queues",
                len(tickets),
            )
            text = env.get_template("emails/digest.txt").render(context)
            return subject, text, env.get_template("emails/digest.html").render(context)
        if payload.get("alert"):
            subject = _("Incoming e-mail from %(sender)s is held", sender=payload["sender"])
            text = env.get_template(f"emails/{payload['alert']}.txt").render(payload)
            return (
                subject,
                text,
                env.get_template(f"emails/{payload['alert']}.html").render(payload),
            )
        context = _old_context(payload, notification_id)
        ticket = context["ticket"]
        subject = _(
            "[%(reference)s] %(headline)s: %(subject)s",
            reference=ticket["reference"],
            headline=headline(payload["events"], payload.get("role")),
            subject=ticket["subject"],
        )
        text = env.get_template("emails/message.txt").render(context)
        html = env.get_template("emails/message.html").render(context)
    return " ".join(subject.split()), text, html


# --- Payloads shaped as the outbox, the digest and the inbound alerts write them -----------


def _ticket(**changes: Any) -> dict[str, Any]:
    """A snapshot as outbox.ticket_snapshot writes it."""
    return {
        "reference": "DEM-2026-000123",
        "subject": "Problème de connexion réseau – PC <b>&</b> imprimante",
        "title_fr": "Problème de connexion réseau",
        "title_en": "Network connection problem",
        "language": "fr",
        "status": "assigned",
        "queue_fr": "Réseau & téléphonie",
        "queue_en": "Network & phones",
        "requester": "Claire Martin",
        "resolution_due_at": MONDAY,
        **changes,
    }


def _message(locale: str, role: str, *events: dict[str, Any], **ticket: Any) -> dict[str, Any]:
    """A payload as outbox._payload writes it, with its events."""
    path = ("/tickets/" if role == "staff" else "/mes-demandes/") + "DEM-2026-000123"
    return {
        "to": "claire@umontpellier.fr",
        "user_id": 7,
        "name": "Claire Martin",
        "locale": locale,
        "role": role,
        "path": path,
        "url": f"http://127.0.0.1:5000{path}",
        "ticket": _ticket(**ticket),
        "events": list(events),
    }


R, S, W = "requester", "staff", "watcher"
REPLY = {"by": "Karim <Admin>", "body": "Bonjour,\n<script>alert(1)</script> & merci"}
# (role, events, ticket changes): every event, and the branches of its template.
# The refused file's name as sent, and the upload check's message as stored (msgid + params).
REFUSED_FILE = {
    "name": "setup<b>.exe",
    "why": {
        "msgid": "This type of file is not accepted. Accepted: %(types)s.",
        "params": {"types": "pdf, png"},
    },
}

MESSAGES = {
    "submitted": (R, [{"event": "submitted"}], {"status": "new"}),
    "submitted-no-due-date": (R, [{"event": "submitted"}], {"resolution_due_at": None}),
    "submitted-summer-en-text": (R, [{"event": "submitted"}], {"resolution_due_at": SUMMER}),
    "submitted-filed-by-staff": (R, [{"event": "submitted", "by": "Karim <Benali>"}], {}),
    "assigned": (S, [{"event": "assigned", "by": "Karim Benali"}], {}),
    "assigned-automatically": (S, [{"event": "assigned", "by": None}], {}),
    "transferred": (S, [{"event": "transferred", "by": "Karim Benali"}], {}),
    "transferred-away": (
        S,
        [{"event": "transferred_away", "by": "Lea <Lead>", "reason": "Pour la <b>messagerie</b>"}],
        {"status": "new"},
    ),
    "taken_over-claimed": (
        S,
        [{"event": "taken_over", "by": "Lea <Lead>", "assignee": "Lea <Lead>", "claimed": True}],
        {},
    ),
    "taken_over-assigned": (
        S,
        [{"event": "taken_over", "by": "Karim", "assignee": "Lea <Lead>", "claimed": False}],
        {},
    ),
    "taken_over-returned": (
        S,
        [{"event": "taken_over", "by": "Lea", "returned": True, "note": "Le <b>câble</b>\nreste"}],
        {"status": "new"},
    ),
    "finished-resolved": (
        S,
        [{"event": "finished", "by": "Lea <Lead>", "status": "resolved", "note": "Prise <b>"}],
        {"status": "resolved"},
    ),
    "finished-duplicate": (
        S,
        [{"event": "finished", "by": "Lea", "status": "cancelled", "duplicate_of": "INC-2"}],
        {"status": "cancelled"},
    ),
    "finished-closed": (S, [{"event": "finished", "by": "", "status": "closed"}], {}),
    # Resolved as the disruption it came from ended: named, a French-only title marked.
    "finished-disruption": (
        S,
        [
            {
                "event": "finished",
                "by": "Lea",
                "status": "resolved",
                "disruption": {"fr": "Wi-Fi <coupé>", "en": ""},
            }
        ],
        {"status": "resolved"},
    ),
    # Back in the queue its holder was taken out of (desk.tickets.actions.release_tickets).
    "taken_over-left": (S, [{"event": "taken_over", "left": True}], {"status": "new"}),
    "returned-given-back": (
        S,
        [{"event": "returned", "by": "Karim", "reason": "given_back", "former": "Karim"}],
        {"status": "new"},
    ),
    "returned-taken-from-someone": (
        S,
        [
            {
                "event": "returned",
                "by": "Lea <Lead>",
                "reason": "given_back",
                "former": "Karim & Co",
                "note": "Le câble est changé.\n<b>reste</b> la prise",
            }
        ],
        {"status": "in_progress"},
    ),
    "follow_up": (S, [{"event": "follow_up", "note": "Rappeler <X>", "due_at": FRIDAY}], {}),
    "follow_up-no-note": (S, [{"event": "follow_up", "note": "", "due_at": SUMMER}], {}),
    "noted": (S, [{"event": "noted", **REPLY}], {}),
    "noted-file-only": (S, [{"event": "noted", "by": "Karim", "body": ""}], {}),
    "returned-away": (S, [{"event": "returned", "by": "K", "reason": "away", "former": "K"}], {}),
    "returned-left": (S, [{"event": "returned", "by": "", "reason": "left", "former": "K"}], {}),
    "returned-deactivated": (
        S,
        [{"event": "returned", "by": "", "reason": "deactivated", "former": "<K>"}],
        {"status": "new"},
    ),
    "replied": (R, [{"event": "replied", **REPLY}], {"status": "in_progress"}),
    "replied-by-nobody": (R, [{"event": "replied", "by": None, "body": "Fait."}], {}),
    "commented": (S, [{"event": "commented", **REPLY}], {"language": "en"}),
    "waiting": (R, [{"event": "waiting", "by": "Karim"}], {"status": "waiting_on_requester"}),
    "reminder": (R, [{"event": "reminder", "since": FRIDAY, "close_at": MONDAY}], {}),
    "resolved": (R, [{"event": "resolved", "by": "Karim"}], {"status": "resolved"}),
    "resolved-staff": (S, [{"event": "resolved", "by": "Karim"}], {"status": "resolved"}),
    "closed": (R, [{"event": "closed", "automatic": False, "was_waiting": False}], {}),
    "closed-unanswered": (R, [{"event": "closed", "automatic": True, "was_waiting": True}], {}),
    "closed-cancelled-by-staff": (
        R,
        [{"event": "closed", "automatic": False, "was_waiting": False, "cancelled": True}],
        {"status": "cancelled"},
    ),
    "closed-as-duplicate": (
        R,
        [{"event": "closed", "automatic": False, "was_waiting": False, "duplicate_of": "DEM-1"}],
        {"status": "cancelled"},
    ),
    "sla_warning-first-response": (
        S,
        [{"event": "sla_warning", "kind": "first_response", "due_at": FRIDAY, "deadline": None}],
        {},
    ),
    "sla_warning-resolution": (
        S,
        [{"event": "sla_warning", "kind": "resolution", "due_at": FRIDAY, "deadline": MONDAY}],
        {},
    ),
    "sla_breached-first-response": (
        S,
        [{"event": "sla_breached", "kind": "first_response_breach", "due_at": FRIDAY}],
        {},
    ),
    "sla_breached-resolution": (
        S,
        [{"event": "sla_breached", "kind": "resolution", "due_at": SUMMER, "deadline": MONDAY}],
        {"title_en": ""},
    ),
    "sla_breached-already-critical": (
        S,
        [{"event": "sla_breached", "kind": "resolution", "due_at": FRIDAY, "raised": False}],
        {},
    ),
    "new_ticket": (S, [{"event": "new_ticket", "requester": "Claire Martin"}], {"status": "new"}),
    "reopened": (S, [{"event": "reopened", "by": "Claire Martin"}], {"status": "reopened"}),
    "cancelled": (
        S,
        [{"event": "cancelled", "by": "Claire <Martin>", "note": "Plus <b>besoin</b>"}],
        {"status": "cancelled"},
    ),
    "cancelled-no-reason": (S, [{"event": "cancelled", "by": "", "note": ""}], {}),
    # Someone in copy (desk.watchers), and the requester told of their message.
    "watcher_added": (W, [{"event": "watcher_added", "by": "Claire <Martin>"}], {}),
    "watcher-replied": (W, [{"event": "replied", **REPLY}], {"status": "in_progress"}),
    "watcher-commented": (W, [{"event": "commented", **REPLY}], {}),
    "watcher-waiting": (
        W,
        [{"event": "waiting", "by": "Karim"}],
        {"status": "waiting_on_requester"},
    ),
    "watcher-resolved": (W, [{"event": "resolved", "by": "Karim"}], {"status": "resolved"}),
    "watcher-closed": (W, [{"event": "closed", "automatic": False, "was_waiting": False}], {}),
    "watcher-closed-cancelled": (
        W,
        [{"event": "closed", "automatic": False, "was_waiting": False, "cancelled": True}],
        {"status": "cancelled", "requester": "Claire <Martin>"},
    ),
    "watcher-closed-as-duplicate": (
        W,
        [{"event": "closed", "automatic": False, "was_waiting": False, "duplicate_of": "DEM-1"}],
        {"status": "cancelled"},
    ),
    # The answer to an e-mail that a finished request refused (desk.inbound.answers).
    "reply_refused": (R, [{"event": "reply_refused"}], {"status": "closed"}),
    "reply_refused-past-the-reopen-window": (
        R,
        [{"event": "reply_refused"}],
        {"status": "resolved"},
    ),
    "reply_refused-staff": (S, [{"event": "reply_refused"}], {"status": "cancelled"}),
    "watcher-reply_refused": (W, [{"event": "reply_refused"}], {"status": "resolved"}),
    # The answer to an e-mail reply held for one of its files (desk.inbound.answers).
    "file_refused": (R, [{"event": "file_refused", **REFUSED_FILE}], {}),
    "file_refused-staff": (S, [{"event": "file_refused", **REFUSED_FILE}], {}),
    "watcher-file_refused": (W, [{"event": "file_refused", **REFUSED_FILE}], {}),
    "requester-commented": (R, [{"event": "commented", **REPLY}], {}),
    "commented-by-someone-in-copy": (S, [{"event": "commented", **REPLY, "in_copy": True}], {}),
    "merged": (
        R,
        [
            {"event": "replied", **REPLY},
            {"event": "waiting", "by": "Karim"},
            {"event": "assigned", "by": "Karim"},
        ],
        {"status": "waiting_on_requester", "language": None},
    ),
}


def test_every_event_is_rendered_here():
    shown = {e["event"] for _role, events, _ticket in MESSAGES.values() for e in events}
    # An inbound alert is an e-mail of its own (test_alerts_are_the_flask_babel_rendering), so
    # is the end of a disruption (tests/status/test_status_mail.py); FOLLOWED_MESSAGE is a
    # switch, never sent.
    apart = {E.INBOUND_ALERT.value, E.DISRUPTION_ENDED.value, E.FOLLOWED_MESSAGE.value}
    assert shown == {e.value for e in E} - apart


@pytest.mark.parametrize("can_reply", [False, True])
@pytest.mark.parametrize("name", MESSAGES)
@pytest.mark.parametrize("locale", LOCALES)
def test_messages_are_the_flask_babel_rendering(app_ctx, monkeypatch, locale, name, can_reply):
    monkeypatch.setitem(app_ctx.config, "REPLY_ADDRESS", "desk@example.org" if can_reply else "")
    # The rating link is signed with the second it was made: the two renderings of a
    # resolution must not straddle a second (they did, on a loaded machine).
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_800_000_000)
    role, events, ticket = MESSAGES[name]
    payload = _message(locale, role, *events, **ticket)
    assert render_email(payload, 42) == old_render_email(payload, 42)


def _digest(locale: str, count: int) -> dict[str, Any]:
    """A payload as desk.notifications.digest writes it."""
    tickets = [
        {
            **_ticket(reference=f"DEM-2026-00012{n}", language="en" if n % 2 else "fr"),
            "url": f"http://127.0.0.1:5000/tickets/DEM-2026-00012{n}",
        }
        for n in range(count)
    ]
    return {
        "digest": True,
        "to": "karim@umontpellier.fr",
        "name": "Karim Benali",
        "locale": locale,
        "role": "staff",
        "path": "/queues",
        "url": "http://127.0.0.1:5000/queues",
        "events": [{"event": "new_ticket"}],
        "tickets": tickets,
    }


def _alert(locale: str) -> dict[str, Any]:
    """A payload as desk.inbound.alerts writes it."""
    return {
        "alert": "inbound_throttled",
        "to": "admin@umontpellier.fr",
        "name": "Admin",
        "locale": locale,
        "sender": "Robot <noreply@example.org>",
        "limit": 20,
        "url": "http://127.0.0.1:5000/admin/inbound",
        "events": [{"event": "inbound_alert"}],
    }


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("locale", LOCALES)
def test_digests_are_the_flask_babel_rendering(app_ctx, locale, count):
    payload = _digest(locale, count)
    assert render_email(payload, 42) == old_render_email(payload, 42)


@pytest.mark.parametrize("locale", LOCALES)
def test_alerts_are_the_flask_babel_rendering(app_ctx, locale):
    assert render_email(_alert(locale), 42) == old_render_email(_alert(locale), 42)


def test_the_outbox_s_own_payloads(app_ctx):
    """The rows written by a real submission: the requester's acknowledgement (French) and
    the queue member's new-ticket e-mail (English)."""
    queue = make_queue()
    request_type = make_request_type(queue=queue)
    make_user(role=Role.TECHNICIAN, queues=(queue,), locale="en")
    submit(make_user(locale="fr"), request_type=request_type, subject="Imprimante – bourrage")
    mails = rows(Channel.EMAIL)
    assert {m.payload["locale"] for m in mails} == {"fr", "en"}
    for mail in mails:
        assert render_email(mail.payload, mail.id) == old_render_email(mail.payload, mail.id)


def test_each_language_is_really_its_own(app_ctx):
    """Both renderings could agree on a wrong language: the words themselves are checked."""
    french = render_email(_message("fr", R, {"event": "submitted"}), 1)
    assert french[0].startswith("[DEM-2026-000123] Demande enregistrée : Problème de connexion")
    assert "Bonjour Claire Martin," in french[1] and "Centre de services" in french[1]
    assert "lundi 23 novembre 2026, 17:00" in french[1]
    assert "Statut : Attribué" in french[1]
    assert "Ouvrir le ticket" in french[2] and "Hello" not in french[1] + french[2]
    english = render_email(_message("en", R, {"event": "submitted"}), 1)
    assert english[0].startswith("[DEM-2026-000123] Request received: Network connection")
    assert "Hello Claire Martin," in english[1] and "Service centre" in english[1]
    assert "Monday 23 November 2026, 17:00" in english[1]
    assert "Status: Assigned" in english[1]
    assert "Open the ticket" in english[2] and "Bonjour" not in english[1] + english[2]
    assert render_email(_digest("fr", 2), 1)[0] == "2 nouveaux tickets dans vos files"
    assert render_email(_digest("fr", 1), 1)[0] == "1 nouveau ticket dans vos files"
    assert render_email(_digest("en", 2), 1)[0] == "2 new tickets in your queues"
    assert render_email(_alert("fr"), 1)[0].startswith("Des e-mails de Robot")
    assert render_email(_alert("en"), 1)[0].startswith("Incoming e-mail from Robot")


def test_the_web_pages_keep_their_own_translations(app_ctx):
    """The e-mails' environments are overlays of the app's: installing a catalogue in them
    must not change `_` for the pages."""
    env = app_ctx.jinja_env
    before = (env.globals["_"], env.globals["gettext"])
    render_email(_message("en", R, {"event": "submitted"}), 1)
    render_email(_message("fr", R, {"event": "submitted"}), 1)
    assert (env.globals["_"], env.globals["gettext"]) == before
    page = env.from_string('{{ _("Service centre") }}')
    with force_locale("en"):
        assert page.render() == "Service centre"
    with force_locale("fr"):
        assert page.render() == "Centre de services"


def test_templates_the_pages_loaded_first_are_not_reused(app_ctx, monkeypatch):
    """An environment built after the app's has loaded an e-mail template compiles its own,
    bound to its catalogue (a copied cache would hand back flask_babel's `_`)."""
    monkeypatch.setitem(app_ctx.extensions, "desk.email_languages", {})
    app_ctx.jinja_env.get_template("emails/message.txt")
    language = email_language("en")
    template = language.env.get_template("emails/message.txt")
    assert template.globals["_"] is language.env.globals["_"]
    assert template.globals["_"] is not app_ctx.jinja_env.globals["_"]


def test_e_mail_templates_are_compiled_with_their_language_s_messages(app_ctx, monkeypatch):
    """Each language's environment translates its templates' literal messages once, when it
    compiles them (desk.core.jinja); the renderings above prove the text is the same."""
    monkeypatch.setitem(app_ctx.extensions, "desk.email_languages", {})
    env = email_language("fr").env
    source = env.loader.get_source(env, "emails/message.txt")[0]
    code = env.compile(source, "emails/message.txt", raw=True)
    assert "Centre de services" in code and "'Service centre'" not in code
    assert "Bonjour %(name)s" in code


@pytest.mark.parametrize(
    "event",
    [
        {"event": "commented", **REPLY},
        {"event": "replied", **REPLY},
        {"event": "noted", **REPLY},
        {"event": "follow_up", "due_at": MONDAY, "note": REPLY["body"]},
        {"event": "returned", "reason": "manual", "note": REPLY["body"]},
        {"event": "transferred_away", "by": "Lea", "reason": REPLY["body"]},
        {"event": "taken_over", "by": "Lea", "returned": True, "note": REPLY["body"]},
    ],
    ids=lambda e: e["event"],
)
def test_typed_lines_stay_lines_in_every_mail_client(app_ctx, event):
    # Outlook's Word engine ignores `white-space: pre-wrap`: the lines of a reply ran together
    # there. Each line break is a <br>, and what was typed stays escaped text.
    _subject, text, html = render_email(_message("fr", S, event), 42)
    assert "Bonjour,<br>&lt;script&gt;alert(1)&lt;/script&gt; &amp; merci" in html
    assert "pre-wrap" not in html and "<script>" not in html
    assert "Bonjour,\n<script>alert(1)</script> & merci" in text


def test_a_holder_reads_which_disruption_resolved_their_ticket(app_ctx):
    """Its French title, when it has no English one, is marked as French for an English
    reader (RGAA 8.7), and escaped."""
    role, events, ticket = MESSAGES["finished-disruption"]
    _subject, text, html = render_email(_message("en", role, *events, **ticket), 42)
    assert (
        "Lea resolved this ticket you hold with the disruption it came from, now over: "
        "Wi-Fi <coupé>." in text
    )
    assert 'now over: <strong lang="fr">Wi-Fi &lt;coupé&gt;</strong>' in html
    _subject, _text, html = render_email(_message("fr", role, *events, **ticket), 42)
    assert "<strong>Wi-Fi &lt;coupé&gt;</strong>" in html
