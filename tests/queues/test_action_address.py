"""A queue action's address opened in the browser (GET, pasted into the address bar): the
405 page speaks the user's language, offers the way home, and says nothing of the ticket,
whether the user may see it or not."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from tests.support.factories import make_queue, make_ticket, make_user

PAGES = {
    "fr": ("Méthode non autorisée", "Cette action n’est pas disponible ici.", "Retour à l’accueil"),
    "en": ("Method not allowed", "This action is not available here.", "Back to the home page"),
}


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_an_action_opened_by_its_address_says_so_in_the_users_language(db, login, locale):
    queue = make_queue()
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,), locale=locale)
    ticket = make_ticket(queue=queue, subject="Imprimante en panne")
    response = login(tech).get(f"/tickets/{ticket.reference}/claim")
    assert response.status_code == 405
    page = response.text
    for text in PAGES[locale]:
        assert text in page
    assert 'href="/"' in page


def test_the_page_says_nothing_of_a_ticket_the_user_may_not_see(db, login):
    mine, other = make_queue(), make_queue()
    tech = make_user(role=Role.TECHNICIAN, queues=(mine,), locale="fr")
    seen = make_ticket(queue=mine, subject="Imprimante en panne")
    hidden = make_ticket(queue=other, subject="Dossier confidentiel")
    client = login(tech)
    # A ticket they may see, one they may not, and none: the same answer, naming none.
    for reference, subject in (
        (seen.reference, seen.subject),
        (hidden.reference, hidden.subject),
        ("ZZ-999999", None),
    ):
        response = client.get(f"/tickets/{reference}/claim")
        assert response.status_code == 405
        assert "Cette action n’est pas disponible ici." in response.text
        assert reference not in response.text
        assert subject is None or subject not in response.text
