"""The queue page says how many of its open tickets are held by someone away today
(desk.absences), with a link to them (`assignee=away`), so that nobody misses a ticket
waiting on an absent colleague; at no extra SQL statement."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.absences.services import plan_absence
from desk.catalog.forms.fields import local_today
from desk.extensions import db
from tests.support.factories import make_ticket
from tests.support.sql import statements_sent


def _away(user) -> None:
    today = local_today()
    plan_absence(user, today - dt.timedelta(days=1), today + dt.timedelta(days=5), actor=user)


@pytest.fixture
def held(desk):
    """Karim (away) holds two open tickets of the network queue and a resolved one; Sophie
    (here) holds one; Karim's ticket of another queue (its member here, for the test) is not
    this queue's."""
    karim_open = [
        make_ticket(queue=desk.network, assignee=desk.tech, status=status, subject=subject)
        for status, subject in (("assigned", "Prise B12 morte"), ("in_progress", "Wi-Fi lent"))
    ]
    others = [
        make_ticket(queue=desk.network, assignee=desk.tech, status="resolved"),
        make_ticket(queue=desk.network, assignee=desk.mate, status="assigned"),
        make_ticket(queue=desk.mail, assignee=desk.tech, status="assigned"),
    ]
    return karim_open, others


def _rows(page: str) -> int:
    return page.count('<tr data-ref="')


def _statements(app, client, url) -> tuple[int, str]:
    """The page's statements, without SQLite's BEGIN (desk.core.db sends one per
    transaction: not a statement of the page's)."""
    with app.app_context():
        engine = db.engine
    with statements_sent(engine) as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len([s for s in seen if s.strip().upper() != "BEGIN"]), response.text


def test_the_count_and_the_link_to_the_tickets_held_by_someone_away(desk, held, login, app):
    sophie = login(desk.mate)
    assert "away-held" not in sophie.get("/queues/reseau").text  # Karim is here
    _away(desk.tech)
    page = sophie.get("/queues/reseau").text
    assert "2 tickets ouverts de cette file sont entre les mains d’une personne absente" in page
    assert 'href="/queues/reseau?assignee=away"' in page
    listing = sophie.get("/queues/reseau?assignee=away").text
    assert _rows(listing) == 2
    karim_open, others = held
    for ticket in karim_open:
        assert f'<tr data-ref="{ticket.reference}"' in listing
    for ticket in others:
        assert ticket.reference not in listing
    assert '<option value="away" selected>' in listing
    assert "away-held" not in listing  # the list already shows them


def test_nobody_away_the_filter_finds_nothing_and_says_nothing(desk, held, login):
    page = login(desk.mate).get("/queues/reseau?assignee=away").text
    assert _rows(page) == 0
    assert "filtre a été ignoré" not in page


def test_an_absence_over_or_to_come_does_not_count(desk, held, login):
    today = local_today()
    plan_absence(
        desk.tech, today + dt.timedelta(days=2), today + dt.timedelta(days=4), actor=desk.tech
    )
    assert "away-held" not in login(desk.mate).get("/queues/reseau").text


def test_the_count_costs_no_statement_more(desk, held, login, app):
    sophie = login(desk.mate)
    sophie.get("/queues/reseau")  # warm up

    def fewest(url: str) -> tuple[int, str]:
        # The fewer of two: a reload of the process's copies (desk.core.refcache) may fall
        # into one of them on a loaded machine, and is no statement of the page's.
        return min(_statements(app, sophie, url), _statements(app, sophie, url))

    before, _html = fewest("/queues/reseau")
    _away(desk.tech)
    after, html = fewest("/queues/reseau")
    assert "away-held" in html
    assert after == before
    filtered, html = fewest("/queues/reseau?assignee=away")
    assert _rows(html) == 2 and filtered == before


def test_the_english_page(desk, held, login):
    desk.mate.locale = "en"
    db.session.commit()
    _away(desk.tech)
    page = login(desk.mate).get("/queues/reseau").text
    assert "2 open tickets of this queue are held by someone away today." in page
    assert "Show the tickets held by someone away" in page
    assert "Held by someone away today" in page
