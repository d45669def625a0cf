"""The ticket pages show the SLA: due dates and remaining business time to staff, the
expected date to the requester."""

from __future__ import annotations

import datetime as dt

from tests.sla.conftest import new_ticket


def test_staff_page_shows_due_dates_and_remaining_business_time(network, technician, login):
    created = dt.datetime.now(dt.UTC)
    ticket = new_ticket(network, created)
    html = login(technician).get(f"/tickets/{ticket.reference}").text
    assert "Niveau de service" in html
    assert "Échéance de première réponse" in html
    assert "Temps ouvré restant" in html
    # Two business days of 9 hours: at most 18 h of business time remain.
    remaining = html.split('class="sla-remaining">', 1)[1].split("<", 1)[0]
    hours = int(remaining.split(" h")[0]) if " h" in remaining else 0
    assert 0 <= hours <= 18


def test_requester_page_shows_the_expected_date_only(zoom, login, db):
    ticket = new_ticket(zoom, dt.datetime.now(dt.UTC))
    html = login(ticket.requester).get(f"/mes-demandes/{ticket.reference}").text
    assert "Temps ouvré restant" not in html
    assert "Niveau de service" not in html
    assert ticket.resolution_due_at is not None


def test_while_it_waits_on_them_the_requester_is_shown_no_expected_date(zoom, technician, login):
    """Waiting on the requester stops the clock: the date it had is no promise any more (it
    moves by the time they take to answer, and is soon in the past), so their pages name
    none until they answer; then the date pushed by the wait."""
    from desk.extensions import db
    from desk.tickets.history import apply_status
    from desk.tickets.models import Status
    from desk.tickets.workflow import Actor
    from tests.sla.conftest import paris

    ticket = new_ticket(zoom, paris(2026, 11, 20, 16, 30), status="in_progress")  # Friday
    requester = ticket.requester
    apply_status(
        ticket, Status.WAITING_ON_REQUESTER, technician, Actor.STAFF, at=paris(2026, 11, 23, 9, 0)
    )
    db.session.commit()
    client = login(requester)
    detail = client.get(f"/mes-demandes/{ticket.reference}").text
    listing = client.get("/mes-demandes").text
    for html in (detail, listing):
        assert "23/11/2026 16:30" not in html
    assert "Prévue pour le" not in detail
    apply_status(
        ticket, Status.IN_PROGRESS, requester, Actor.REQUESTER, at=paris(2026, 11, 24, 10, 0)
    )
    db.session.commit()
    # 7 h 30 of the target were left on Monday 09:00: from Tuesday 10:00, Tuesday 17:00 + 30 min.
    assert ticket.resolution_due_at == paris(2026, 11, 25, 8, 30)
    detail = client.get(f"/mes-demandes/{ticket.reference}").text
    assert "Prévue pour le" in detail and "25/11/2026 08:30" in detail
    assert "25/11/2026 08:30" in client.get("/mes-demandes").text
