"""A canned reply is offered in the requester's language: the one they chose, else the one
they filed the request in."""

from __future__ import annotations

import pytest

from desk.canned.services import offers_for
from tests.support.factories import make_ticket, make_user


@pytest.mark.parametrize(
    ("saved", "filed_in", "opening"),
    [
        (None, "en", "Hello"),
        (None, None, "Bonjour"),
        ("fr", "en", "Bonjour"),
        ("en", "fr", "Hello"),
    ],
)
def test_offered_in_the_requester_s_language(team, saved, filed_in, opening):
    anna = make_user("anna.schmidt@etu.umontpellier.fr", name="Anna Schmidt", locale=saved)
    ticket = make_ticket(queue=team.network, requester=anna, language=filed_in)
    (offer,) = offers_for(ticket, team.tech)
    assert offer.text.startswith(f"{opening} Anna Schmidt,")
