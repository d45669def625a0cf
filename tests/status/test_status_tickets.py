"""Tickets that are effects of a disruption: staff link them from the ticket page, and ending
the disruption resolves them, each requester told once, in their language."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from desk.auth.models import Role
from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.status.models import Disruption, DisruptionTicket
from desk.status.services import DisruptionText, follow_disruption, publish_disruption
from desk.tickets.models import Status, Ticket
from tests.support.factories import make_queue, make_ticket, make_user

STATUS = "/etat-des-services"


def _publish(services, title="Wi-Fi coupé", **more) -> Disruption:
    content = DisruptionText(title_fr=title, details_fr="", category=services.network, **more)
    return publish_disruption(content, actor=services.tech)


def _ticket(services, requester=None, status="in_progress", assignee=None) -> Ticket:
    return make_ticket(
        request_type=services.wifi_form,
        requester=requester or services.claire,
        status=status,
        assignee=assignee if assignee is not None else (None if status == "new" else services.tech),
    )


def _link(client, disruption, ticket):
    return client.submit(
        f"{STATUS}/{disruption.id}/tickets",
        {"reference": ticket.reference},
        page=f"/tickets/{ticket.reference}",
    )


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_a_technician_links_a_ticket_and_both_sides_see_it(services, login):
    disruption = _publish(services)
    ticket = _ticket(services)
    tech = login(services.tech)
    page = tech.get(f"/tickets/{ticket.reference}").text
    assert "Y rattacher ce ticket" in page
    response = _link(tech, disruption, ticket)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tickets/{ticket.reference}")
    _link(tech, disruption, ticket)  # a second click links it once
    assert db.session.scalar(select(db.func.count()).select_from(DisruptionTicket)) == 1
    staff_page = _text(tech.get(f"/tickets/{ticket.reference}").text)
    assert "Ce ticket y est rattaché : résolu quand elle sera terminée." in staff_page
    line = "Rattaché à la perturbation « Wi-Fi coupé » : résolu quand elle sera terminée."
    assert staff_page.count(line) == 1
    assert line in _text(login(services.claire).get(f"/mes-demandes/{ticket.reference}").text)
    assert "Tickets ouverts rattachés 1" in _text(tech.get(STATUS).text)

    page = f"/tickets/{ticket.reference}"
    tech.submit(f"{STATUS}/tickets/{ticket.reference}/detacher", page=page)
    staff_page = _text(tech.get(f"/tickets/{ticket.reference}").text)
    assert "N’est plus rattaché à la perturbation « Wi-Fi coupé »." in staff_page
    assert db.session.scalar(select(db.func.count()).select_from(DisruptionTicket)) == 0


def test_linking_is_refused_cleanly(services, login):
    disruption = _publish(services)
    done = _ticket(services, status="resolved")
    tech = login(services.tech)
    _link(tech, disruption, done)
    assert (
        "Ce ticket est terminé : seul un ticket ouvert peut être rattaché."
        in tech.get(f"/tickets/{done.reference}").text
    )
    # Another queue's technician: the ticket is not found; a requester: refused.
    other = make_user(role=Role.TECHNICIAN)
    ticket = _ticket(services)
    assert _link(login(other), disruption, ticket).status_code == 404
    response = login(services.claire).submit(
        f"{STATUS}/{disruption.id}/tickets", {"reference": ticket.reference}, page="/home"
    )
    assert response.status_code == 403
    no_token = tech.post(f"{STATUS}/{disruption.id}/tickets", data={"reference": ticket.reference})
    assert no_token.status_code == 400
    for reference in ("", "DEM-2026-999999", "x" * 5000, "DEM\x00"):
        answer = tech.submit(
            f"{STATUS}/{disruption.id}/tickets", {"reference": reference}, page=STATUS
        )
        assert answer.status_code in (400, 404)
    assert db.session.scalar(select(db.func.count()).select_from(DisruptionTicket)) == 0


def test_a_finished_disruption_takes_no_more_tickets(services, login):
    disruption = _publish(services)
    ticket = _ticket(services)
    tech = login(services.tech)
    tech.submit(f"{STATUS}/{disruption.id}/fin", page=STATUS)
    _link(tech, disruption, ticket)
    assert "Cette perturbation est déjà terminée." in tech.get(STATUS).text
    assert db.session.get(DisruptionTicket, ticket.id) is None


def test_ending_resolves_the_linked_tickets_and_tells_each_requester_once(services, login):
    disruption = _publish(services, title_en="No Wi-Fi")
    fresh = _ticket(services, status="new")
    working = _ticket(services, requester=services.john)
    waiting = _ticket(services, status="waiting_on_requester")
    unlinked = _ticket(services)
    tech = login(services.tech)
    for ticket in (fresh, working, waiting):
        _link(tech, disruption, ticket)
    # Claire follows it too: her ticket's resolution tells her, not a second e-mail.
    follow_disruption(disruption, services.claire)
    other_follower = make_user(locale="fr")
    follow_disruption(disruption, other_follower)
    db.session.query(Notification).delete()
    db.session.commit()

    tech.submit(f"{STATUS}/{disruption.id}/fin", page=STATUS)
    page = _text(tech.get(STATUS).text)
    assert "Tickets rattachés résolus : 3" in page
    db.session.expire_all()
    for ticket in (fresh, working, waiting):
        resolved = db.session.get(Ticket, ticket.id)
        assert resolved.status is Status.RESOLVED and resolved.resolved_at is not None
    assert db.session.get(Ticket, unlinked.id).status is Status.IN_PROGRESS
    # The new one was taken in hand first, as a technician does by hand.
    assert db.session.get(Ticket, fresh.id).assignee_id == services.tech.id

    emails = db.session.scalars(select(Notification).where(Notification.channel == Channel.EMAIL))
    by_recipient: dict[int, list[Notification]] = {}
    for row in emails:
        by_recipient.setdefault(row.recipient_id, []).append(row)
    claire_rows = by_recipient[services.claire.id]
    assert len(claire_rows) == 2  # her two tickets (new and waiting), no follower e-mail
    assert {r.event for r in claire_rows} == {NotificationEvent.RESOLVED}
    (john_row,) = by_recipient[services.john.id]
    (follower_row,) = by_recipient[other_follower.id]
    assert follower_row.event is NotificationEvent.DISRUPTION_ENDED

    _subject, text, _html = render_email(john_row.payload, john_row.id)
    assert "It came from a known disruption, now over: No Wi-Fi." in text
    _subject, text, _html = render_email(claire_rows[0].payload, claire_rows[0].id)
    assert "Elle venait d’une perturbation connue, terminée maintenant : Wi-Fi coupé." in text

    history = _text(login(services.john).get(f"/mes-demandes/{working.reference}").text)
    assert "Resolved: the disruption “No Wi-Fi” is over." in history


def test_tickets_the_ender_may_not_resolve_stay_open_and_are_named(services, login):
    """A technician of another queue ends it: the tickets they do not work stay open, named
    (their own queue's technicians resolve them); those of their queue are resolved."""
    disruption = _publish(services)
    theirs = _ticket(services)
    tech = login(services.tech)
    _link(tech, disruption, theirs)
    other_queue = make_queue(services.queue.domain)
    other = make_user(role=Role.TECHNICIAN, queues=(other_queue,))
    mine = make_ticket(request_type=services.wifi_form, queue=other_queue, assignee=other)
    mine.status = Status.IN_PROGRESS
    db.session.commit()
    ender = login(other)
    _link(ender, disruption, mine)
    ender.submit(f"{STATUS}/{disruption.id}/fin", page=STATUS)
    page = _text(ender.get(STATUS).text)
    assert "1 ticket rattaché est dans une file que vous ne traitez pas" in page
    assert theirs.reference not in page
    assert f"Tickets rattachés résolus : 1 ({mine.reference})" in page
    db.session.expire_all()
    assert db.session.get(Ticket, theirs.id).status is Status.IN_PROGRESS
    assert db.session.get(Ticket, mine.id).status is Status.RESOLVED


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_resolution_mail_marks_a_french_title_on_an_english_mail(app_ctx, locale):
    payload_events = [
        {"event": "resolved", "by": "Karim", "disruption": {"fr": "Wi-Fi coupé", "en": ""}}
    ]
    payload = {
        "to": "x@umontpellier.fr",
        "name": "X",
        "locale": locale,
        "role": "requester",
        "url": "https://desk.example/mes-demandes/DEM-2026-000001",
        "ticket": {"reference": "DEM-2026-000001", "subject": "Wi-Fi", "title_fr": "Wi-Fi"},
        "events": payload_events,
    }
    _subject, _text_body, html_body = render_email(payload, 1)
    marked = '<strong lang="fr">Wi-Fi coupé</strong>'
    assert (marked in html_body) is (locale == "en")
