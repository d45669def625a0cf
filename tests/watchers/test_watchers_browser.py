"""In a real browser: a requester puts a colleague in copy (a wrong address first), the
colleague finds the request under "En copie", reads it and writes to it, then leaves it;
axe-core, the error ties and a 320 px reflow on each page of the way."""

from __future__ import annotations

import pytest

from desk.extensions import db
from desk.tickets.models import EventKind, TicketEvent
from desk.watchers.models import TicketWatcher
from tests.support.a11y import check_page
from tests.support.live_server import log_in, new_page

pytestmark = pytest.mark.browser


def test_put_a_colleague_in_copy_who_writes_then_leaves(live_server, chromium, world):
    from playwright.sync_api import expect

    claire = new_page(chromium)
    log_in(claire, live_server, world.claire.email)
    claire.goto(f"{live_server}/mes-demandes/{world.ticket.reference}")
    copy = claire.get_by_role("region", name="Personnes en copie")
    copy.get_by_role("link", name="Mettre quelqu’un en copie, ou le retirer").click()
    address = claire.get_by_label("Adresse e-mail de la personne à mettre en copie")
    address.fill("paul.durant@umontpellier.fr")  # a typo
    claire.get_by_role("button", name="Mettre en copie").click()
    expect(claire.locator("[data-error-summary]")).to_be_visible()
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(claire.locator("#email-error")).to_contain_text("Personne à l’université")
    check_page(claire, "copy form sent back with an error")
    address.fill("paul.durand@umontpellier.fr")
    claire.get_by_role("button", name="Mettre en copie").click()
    expect(claire.get_by_text("Paul Durand est en copie")).to_be_visible()
    check_page(claire, "people in copy")

    paul = new_page(chromium)
    log_in(paul, live_server, world.paul.email)
    paul.goto(f"{live_server}/mes-demandes")
    paul.get_by_role("link", name="En copie").click()
    paul.get_by_role("link", name=world.ticket.reference).click()
    expect(
        paul.get_by_text("Vous êtes en copie de cette demande de Claire Martin.")
    ).to_be_visible()
    check_page(paul, "a request read in copy")
    paul.get_by_label("Votre message").fill("Même panne dans le bureau voisin.")
    paul.get_by_role("button", name="Envoyer").click()
    expect(paul.get_by_text("Votre message a été ajouté.")).to_be_visible()
    db.session.expire_all()
    comment = db.session.query(TicketEvent).filter_by(kind=EventKind.COMMENT).one()
    assert comment.actor_id == world.paul.id

    paul.get_by_role("button", name="Ne plus suivre cette demande").click()
    expect(
        paul.get_by_text(f"Vous n’êtes plus en copie de {world.ticket.reference}.")
    ).to_be_visible()
    assert db.session.query(TicketWatcher).count() == 0
