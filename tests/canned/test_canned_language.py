"""A canned reply is offered in the requester's language: the one they chose, else the one
they filed the request in, else the one their browser asked for when they last came."""

from __future__ import annotations

import pytest

from desk.canned.services import offers_for
from desk.extensions import db
from tests.support.factories import make_ticket, make_user


@pytest.mark.parametrize(
    ("saved", "filed_in", "browser", "opening"),
    [
        (None, "en", None, "Hello"),
        (None, None, None, "Bonjour"),
        (None, None, "en", "Hello"),  # filed for them by staff, or by e-mail
        (None, "fr", "en", "Bonjour"),
        ("fr", "en", "en", "Bonjour"),
        ("en", "fr", None, "Hello"),
    ],
)
def test_offered_in_the_requester_s_language(team, saved, filed_in, browser, opening):
    anna = make_user("anna.schmidt@etu.umontpellier.fr", name="Anna Schmidt", locale=saved)
    anna.browser_locale = browser
    db.session.commit()
    ticket = make_ticket(queue=team.network, requester=anna, language=filed_in)
    (offer,) = offers_for(ticket, team.tech)
    assert offer.text.startswith(f"{opening} Anna Schmidt,")
