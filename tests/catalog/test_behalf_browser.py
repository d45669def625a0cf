"""In a real browser, as a technician at the phone: find the caller, file their request, with
axe-core, the error ties and a 320 px reflow checked on each page of the way (the crawl of
tests/a11y does not reach them: they need a search)."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from tests.catalog.world import only_ticket
from tests.support.a11y import check_page
from tests.support.factories import make_user
from tests.support.live_server import log_in, new_page

pytestmark = pytest.mark.browser


def test_a_technician_files_a_callers_request(live_server, chromium, world, staff):
    from playwright.sync_api import expect

    make_user(is_staff=False, name="Léo Petit", email="leo.petit@etu.umontpellier.fr")
    tech = make_user(role=Role.TECHNICIAN, queues=(world.queues["visio"],), name="Tech Visio")
    page = new_page(chromium)
    log_in(page, live_server, tech.email)

    page.goto(f"{live_server}/queues")
    page.get_by_role("link", name="Faire une demande pour un usager (un appel, une visite)").click()
    field = page.get_by_label("Nom ou adresse e-mail")
    field.fill("c")
    field.press("Enter")
    page.wait_for_url("**/catalogue/pour-un-usager?q=c")
    expect(page.locator("#q-error")).to_have_text("Saisissez au moins 2 caractères.")
    assert page.title().startswith("1 erreur")
    check_page(page, "search too short")

    page.get_by_label("Nom ou adresse e-mail").fill("umontpellier")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**?q=umontpellier")
    expect(page.get_by_role("heading", name="Personnes trouvées")).to_be_visible()
    check_page(page, "people found")

    page.get_by_role("link", name="Faire une demande pour Claire Martin").click()
    expect(page.get_by_role("note")).to_contain_text("pour Claire Martin")
    check_page(page, "catalogue for Claire")

    page.locator("a[href*='/catalogue/licence-zoom?pour=']").click()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    check_page(page, "form sent back with errors")

    page.get_by_role("radio", name="Par téléphone").check()
    # Its label speaks of the person (« Cette personne a déjà créé… » once translated).
    page.locator("input[name='account_created']").check()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Demande enregistrée pour Claire Martin"
    )
    check_page(page, "confirmation")
    ticket = only_ticket()
    assert ticket.requester_id == staff.id
    # The technician works the video-conferencing queue: the ticket is one click away.
    page.get_by_role("link", name="Ouvrir le ticket").click()
    expect(page.locator(".event-created")).to_contain_text(
        "Ticket créé pour Claire Martin (demande reçue par téléphone)."
    )
