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
