"""In a real browser: a technician publishes a disruption (the form sent back with errors
first), a requester meets it on a form and follows it, the technician ends it; axe-core, the
error ties and a 320 px reflow on each page of the way."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from desk.extensions import db
from desk.status.models import DisruptionFollower
from tests.support.a11y import check_page
from tests.support.factories import make_ticket
from tests.support.live_server import log_in, new_page

pytestmark = pytest.mark.browser


def test_publish_follow_and_end_a_disruption(live_server, chromium, services):
    from playwright.sync_api import expect

    tech = new_page(chromium)
    log_in(tech, live_server, services.tech.email)
    tech.get_by_role("link", name="État des services").first.click()
    check_page(tech, "empty status page")
    tech.get_by_role("link", name="Signaler une perturbation").click()
    tech.get_by_label("Détails en anglais (facultatif)").fill("Since 9 am.")
    tech.get_by_role("button", name="Publier").click()
    expect(tech.locator("[data-error-summary]")).to_be_visible()
    assert tech.title().startswith("2 erreurs")
    expect(tech.locator("#title_fr-error")).to_have_text(
        "Dites en quelques mots ce qui ne fonctionne pas."
    )
    check_page(tech, "form sent back with errors")
    tech.get_by_label("Titre en français").fill("Wi-Fi coupé au bâtiment B, " + "très " * 15)
    tech.get_by_label("Titre en anglais (facultatif : le texte français est affiché sinon)").fill(
        "Wi-Fi down in building B"
    )
    tech.get_by_label("Service touché").select_option(label="Informatique et Numérique › Réseau")
    tech.get_by_role("button", name="Publier").click()
    expect(tech.get_by_role("heading", level=3)).to_contain_text("Wi-Fi coupé au bâtiment B")
    check_page(tech, "status page with a disruption")

    claire = new_page(chromium)
    log_in(claire, live_server, services.claire.email)
    expect(claire.get_by_role("region", name="Perturbation connue")).to_be_visible()
    check_page(claire, "home with the banner")
    claire.goto(f"{live_server}/catalogue/wifi")
    banner = claire.get_by_role("region", name="Perturbation connue")
    banner.get_by_role("button", name="Je suis concerné").click()
    expect(claire).to_have_url(f"{live_server}/catalogue/wifi")
    expect(banner).to_contain_text("Vous serez prévenu quand ce sera rétabli.")
    check_page(claire, "form with the banner, followed")
    db.session.expire_all()
    assert db.session.query(DisruptionFollower).count() == 1

    # Claire had filed a ticket before: the technician links it to the disruption.
    ticket = make_ticket(
        request_type=services.wifi_form,
        requester=services.claire,
        status="in_progress",
        assignee=services.tech,
    )
    tech.goto(f"{live_server}/tickets/{ticket.reference}")
    tech.get_by_role("button", name="Y rattacher ce ticket").click()
    expect(tech.get_by_text("Ce ticket y est rattaché")).to_be_visible()
    check_page(tech, "ticket page, linked")

    tech.goto(f"{live_server}/etat-des-services")
    tech.get_by_role("button", name="C’est rétabli").click()
    # Claire's own ticket tells her: she is not e-mailed as a follower too.
    expect(tech.get_by_text("personnes prévenues par e-mail : 0")).to_be_visible()
    expect(tech.get_by_text(f"Tickets rattachés résolus : 1 ({ticket.reference})")).to_be_visible()
    expect(tech.get_by_text("Tout fonctionne : aucune perturbation connue.")).to_be_visible()
    check_page(tech, "status page, ended")
    claire.goto(f"{live_server}/catalogue/wifi")
    expect(claire.get_by_role("region", name="Perturbation connue")).to_have_count(0)


def test_announce_planned_work_and_call_it_off(live_server, chromium, services):
    """The browser's own date-time fields, in Paris time; errors tied to them; the banner's
    planned work on a form; calling it off."""
    from playwright.sync_api import expect

    tech = new_page(chromium)
    log_in(tech, live_server, services.tech.email)
    tech.goto(f"{live_server}/etat-des-services/nouvelle")
    tech.get_by_label("Titre en français").fill("Maintenance du réseau")
    tech.get_by_label("Service touché").select_option(label="Informatique et Numérique › Réseau")
    tech.get_by_label("Début (facultatif)").fill("2026-12-05T08:00")  # long past
    tech.get_by_label("Fin prévue (facultatif)").fill("2020-01-01T08:00")
    tech.get_by_role("button", name="Publier").click()
    expect(tech.locator("[data-error-summary]")).to_be_visible()
    expect(tech.get_by_label("Fin prévue (facultatif)")).to_have_attribute("aria-invalid", "true")
    check_page(tech, "planned work sent back with errors")

    start = (dt.datetime.now(ZoneInfo("Europe/Paris")) + dt.timedelta(days=2)).date()
    tech.get_by_label("Début (facultatif)").fill(f"{start}T08:00")
    tech.get_by_label("Fin prévue (facultatif)").fill(f"{start}T12:00")
    tech.get_by_role("button", name="Publier").click()
    expect(tech.get_by_text("L’intervention programmée est annoncée")).to_be_visible()
    planned = tech.locator("li.planned")
    expect(planned).to_contain_text("08:00")
    expect(planned).to_contain_text("12:00")
    check_page(tech, "status page with planned work")

    claire = new_page(chromium)
    log_in(claire, live_server, services.claire.email)
    claire.goto(f"{live_server}/catalogue/wifi")
    banner = claire.get_by_role("region", name="Interventions programmées")
    expect(banner).to_contain_text("Maintenance du réseau")
    banner.get_by_role("button", name="Prévenez-moi quand ce sera terminé").click()
    expect(banner).to_contain_text("Vous serez prévenu quand ce sera terminé.")
    check_page(claire, "form with planned work, followed")

    tech.reload()
    tech.get_by_role("button", name="Annuler l’intervention").click()
    expect(tech.get_by_text("personnes prévenues par e-mail : 1")).to_be_visible()
    expect(tech.get_by_text("Aucune intervention programmée.")).to_be_visible()
    check_page(tech, "status page, called off")
