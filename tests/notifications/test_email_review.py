"""The e-mails as their readers take them: where their links land, what a reply by e-mail
does, how the digest reads, how the HTML part is structured."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from desk.auth.models import Role
from desk.notifications.content import render_email
from desk.notifications.models import Channel, NotificationEvent
from desk.tickets.history import apply_status
from desk.tickets.models import Status
from desk.tickets.workflow import Actor
from tests.notifications.helpers import assign, rows, submit
from tests.support.factories import make_queue, make_user

REFERENCE = "DEM-2026-000123"


def _ticket(**changes: Any) -> dict[str, Any]:
    return {
        "reference": REFERENCE,
        "subject": "Prise réseau",
        "title_fr": "",
        "title_en": "",
        "language": "fr",
        "status": "assigned",
        "queue_fr": "Réseau et téléphonie",
        "queue_en": "Network and phones",
        "requester": "Claire Martin",
        "resolution_due_at": None,
        **changes,
    }


def _message(locale: str, role: str, *events: dict[str, Any]) -> dict[str, Any]:
    path = ("/tickets/" if role == "staff" else "/mes-demandes/") + REFERENCE
    return {
        "to": "karim@umontpellier.fr",
        "user_id": 7,
        "name": "Karim Benali",
        "locale": locale,
        "role": role,
        "path": path,
        "url": f"http://127.0.0.1:5000{path}",
        "ticket": _ticket(),
        "events": list(events),
    }


def test_the_resolution_e_mail_s_reopen_link_lands_on_the_reopen_form(db, login):
    queue = make_queue()
    requester = make_user()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    ticket = submit(requester, queue=queue)
    assign(ticket, tech, actor=tech)
    apply_status(ticket, Status.RESOLVED, tech, Actor.STAFF)
    db.session.commit()
    (mail,) = rows(Channel.EMAIL, recipient_id=requester.id, event=NotificationEvent.RESOLVED)
    _subject, text, html = render_email(mail.payload, mail.id)
    (link,) = [href for href in re.findall(r'href="([^"]*)"', html) if "#" in href]
    assert link in text
    path, anchor = link.split("#")
    page = login(requester).get(path.removeprefix("http://127.0.0.1:5000"))
    assert page.status_code == 200
    # The fragment names the whole "Not solved?" form, its heading and the reason to give:
    # the form's submit button (id "reopen") would scroll them out of sight above it.
    assert page.text.count(f'id="{anchor}"') == 1
    section = page.text.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]
    assert "<h2>" in section and "<textarea" in section and "/reouverture" in section


@pytest.mark.parametrize("event", ["noted", "replied", "commented", "assigned"])
def test_staff_read_that_answering_the_e_mail_answers_the_requester(app_ctx, monkeypatch, event):
    """With a reply address, a technician's answer by e-mail becomes a public reply that the
    requester reads (desk.inbound): the staff e-mails say so, even the one carrying a
    colleague's internal note, rather than "add a message to the ticket"."""
    monkeypatch.setitem(app_ctx.config, "REPLY_ADDRESS", "desk@example.org")
    item = {"event": event, "by": "Inès Tech", "body": "Câble à changer"}
    _subject, text, html = render_email(_message("en", "staff", item), 42)
    for part in (text, html):
        assert "add a message to the ticket" not in part
        assert "goes to the requester" in part
        assert "public reply" in part
    # The requester's and those in copy keep theirs: their answer is a message on the ticket.
    for role in ("requester", "watcher"):
        _subject, text, _html = render_email(_message("en", role, {"event": "waiting"}), 42)
        assert "Reply to this e-mail to add a message to the ticket" in text
        assert "public reply" not in text


def _digest(locale: str) -> dict[str, Any]:
    return {
        "digest": True,
        "to": "karim@umontpellier.fr",
        "name": "Karim Benali",
        "locale": locale,
        "role": "staff",
        "path": "/queues",
        "url": "http://127.0.0.1:5000/queues",
        "events": [{"event": "new_ticket"}],
        "tickets": [
            {
                **_ticket(requester="Anna O'Brien"),
                "url": f"http://127.0.0.1:5000/tickets/{REFERENCE}",
            }
        ],
    }


def test_the_digest_names_the_queue_and_requester_without_a_stray_full_stop(app_ctx):
    _subject, text, html = render_email(_digest("en"), 42)
    assert f"{REFERENCE} — Prise réseau (Network and phones; requester: Anna O'Brien)" in text
    assert "(Network and phones; requester: Anna O&#39;Brien)" in html
    assert ".)" not in text


def test_someone_put_in_copy_by_the_requester_reads_their_name_once(app_ctx):
    item = {"event": "watcher_added", "by": "Claire Martin", "own": True}
    _subject, text, html = render_email(_message("en", "watcher", item), 42)
    for part in (text, html):
        assert "Claire Martin has put you in copy of their request." in part
        assert "the request of Claire Martin" not in part
    # Put in copy by someone else (a technician), the request is named by its requester.
    item = {"event": "watcher_added", "by": "Inès Tech", "own": False}
    _subject, text, _html = render_email(_message("en", "watcher", item), 42)
    assert "Inès Tech has put you in copy of the request of Claire Martin." in text


def test_the_watcher_added_e_mail_says_whether_the_requester_did_it(db):
    from desk.watchers.services import add_watcher

    queue = make_queue()
    claire = make_user(name="Claire Martin")
    paul = make_user(name="Paul Durand")
    jean = make_user(name="Jean Roux")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,), name="Inès Tech")
    ticket = submit(claire, queue=queue)
    add_watcher(ticket, paul.email, actor=claire)
    add_watcher(ticket, jean.email, actor=tech)
    (to_paul,) = rows(Channel.EMAIL, recipient_id=paul.id)
    (to_jean,) = rows(Channel.EMAIL, recipient_id=jean.id)
    assert to_paul.payload["events"][0]["own"] is True
    assert to_jean.payload["events"][0]["own"] is False


class _Outline(HTMLParser):
    """The headings and the table header cells of an HTML part."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.header_cells: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(tag)
        if tag == "th":
            self.header_cells.append(dict(attrs))


def _outline(html: str) -> _Outline:
    parser = _Outline()
    parser.feed(html)
    return parser


ALERTS = {
    "inbound_throttled": {"sender": "spam@example.com", "limit": 20},
    "disruption_ended": {
        "title_fr": "Panne Wi-Fi",
        "title_en": "Wi-Fi outage",
        "cancelled": False,
        "status_url": "http://127.0.0.1:5000/etat-des-services",
        "catalogue_url": "http://127.0.0.1:5000/catalogue",
    },
}


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_html_part_starts_with_a_main_heading(app_ctx, locale):
    payloads = [
        _message(locale, "requester", {"event": "replied", "by": "Inès", "body": "Oui"}),
        _digest(locale),
        *(
            {
                "alert": alert,
                "to": "a@umontpellier.fr",
                "name": "Ada",
                "locale": locale,
                "url": "http://127.0.0.1:5000/admin/inbound",
                "events": [{"event": "inbound_alert"}],
                **fields,
            }
            for alert, fields in ALERTS.items()
        ),
    ]
    for payload in payloads:
        _subject, _text, html = render_email(payload, 42)
        outline = _outline(html)
        assert outline.headings and outline.headings[0] == "h1", payload.get("alert")
        # The ticket's reference and status: row headers, announced with their value.
        assert all(cell.get("scope") == "row" for cell in outline.header_cells)
