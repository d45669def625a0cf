"""The catalogue's two budgets, on the tests' Redis: tickets created (RATELIMIT_SUBMIT), and
any POST of a form (RATELIMIT_SUBMIT_ATTEMPTS), so that a form sent back with mistakes does
not lock its author out before they have filed anything."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desk.auth.models import Role
from desk.extensions import db
from desk.tickets.models import Ticket
from tests.support.factories import make_user

URL = "/catalogue/licence-zoom"
VALID = {"zoom_email": "claire.martin@umontpellier.fr", "account_created": "y"}
MISTAKE = {"zoom_email": "claire.martin@gmail.com", "account_created": "y"}


@pytest.fixture
def limits(app):
    saved = {n: app.config[n] for n in ("RATELIMIT_SUBMIT", "RATELIMIT_SUBMIT_ATTEMPTS")}

    def set_limits(submit: str, attempts: str = "100 per minute") -> None:
        app.config.update(RATELIMIT_SUBMIT=submit, RATELIMIT_SUBMIT_ATTEMPTS=attempts)

    yield set_limits
    app.config.update(saved)


def _tickets() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Ticket))


def test_forms_sent_back_with_mistakes_spend_no_submission(world, staff, login, limits):
    limits("3 per minute")
    client = login(staff)
    for _ in range(6):  # a long form corrected six times
        assert client.submit(URL, MISTAKE).status_code == 400
    assert [client.submit(URL, VALID).status_code for _ in range(4)] == [302, 302, 302, 429]
    assert _tickets() == 3
    # Once the tickets' budget is spent, a form with mistakes is refused too.
    assert client.submit(URL, MISTAKE).status_code == 429


def test_a_second_click_answered_with_the_first_ticket_is_not_counted(world, staff, login, limits):
    limits("2 per minute")
    client = login(staff)
    same = {**VALID, "idempotency_token": "same-click-token"}
    for _ in range(4):
        answer = client.submit(URL, same)
        assert answer.status_code == 302
    assert _tickets() == 1
    assert client.submit(URL, VALID).status_code == 302
    assert client.submit(URL, VALID).status_code == 429
    assert _tickets() == 2


def test_a_flood_of_posts_is_refused_whatever_they_give(world, staff, login, limits):
    """Posts that create nothing still cost their validation: they have a budget too."""
    limits("100 per minute", attempts="3 per minute")
    client = login(staff)
    statuses = [client.submit(URL, data).status_code for data in (MISTAKE, MISTAKE, VALID, VALID)]
    assert statuses == [400, 400, 302, 429]
    assert _tickets() == 1
    # Showing the form is not a post.
    assert client.get(URL).status_code == 200


def test_staff_filing_for_someone_spend_their_own_budget(world, staff, login, limits):
    limits("1 per minute")
    tech = make_user(role=Role.TECHNICIAN)
    client = login(tech)
    behalf = f"{URL}?pour={staff.id}"
    mistake = {**MISTAKE, "intake": "phone"}
    assert client.submit(behalf, mistake).status_code == 400
    assert client.submit(behalf, {**VALID, "intake": "phone"}).status_code == 302
    assert client.submit(behalf, {**VALID, "intake": "phone"}).status_code == 429
    # The person they filed for has spent nothing.
    assert login(staff).submit(URL, VALID).status_code == 302


def test_a_refused_submission_says_nothing_was_saved_and_leads_back_to_its_form(
    world, staff, login, limits
):
    """The 429 page of a form led only to the home page: a technician filing for a caller lost
    the person (?pour=), and nobody was told whether the request had gone through."""
    limits("1 per minute")
    tech = make_user(role=Role.TECHNICIAN)
    client = login(tech)
    behalf = f"{URL}?pour={staff.id}"
    assert client.submit(behalf, {**VALID, "intake": "phone"}).status_code == 302
    refused = client.submit(behalf, {**VALID, "intake": "phone"})
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "La demande n’a pas été enregistrée." in page
    assert f'<a href="{URL}?pour={staff.id}">Retour au formulaire</a>' in page
    assert _tickets() == 1
    # The link shows the form again, for the same person.
    again = client.get(behalf)
    assert again.status_code == 200 and staff.display_name in again.get_data(as_text=True)
