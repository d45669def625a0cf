"""The e-mails as their readers take them: where their links land, what a reply by e-mail
does, how the digest reads, how the HTML part is structured."""

from __future__ import annotations

import re
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
