"""In a real browser, a technician about to leave: sets a reminder on a ticket (a past time
refused first), asks a colleague to read a note, gives the ticket back to the queue, then
records the absence (bad days refused first); the colleague sees "away until" on the ticket
page. axe-core, the error ties and a 320 px reflow on each page of the way."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.auth.models import Role
from desk.catalog.forms.fields import local_today
from desk.tickets.models import Status, Ticket
from tests.support.a11y import check_page
from tests.support.factories import make_queue, make_ticket, make_user
from tests.support.live_server import chromium, live_server, log_in, new_page

__all__ = ["chromium", "live_server"]
pytestmark = pytest.mark.browser


def test_a_technician_hands_over_before_leaving(live_server, chromium, db):
    from playwright.sync_api import expect

    queue = make_queue(code="reseau")
    karim = make_user(
        "karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), name="Karim Benali"
    )
    sophie = make_user(
        "sophie@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), name="Sophie Durand"
    )
    ticket = make_ticket(queue=queue, subject="Prise B12 morte", status="assigned", assignee=karim)
    make_ticket(queue=queue, subject="Imprimante", status="in_progress", assignee=karim)

    page = new_page(chromium)
    log_in(page, live_server, karim.email)
    page.goto(f"{live_server}/tickets/{ticket.reference}")

    page.get_by_text("Me le rappeler", exact=True).click()
    yesterday = (local_today() - dt.timedelta(days=1)).isoformat()
    page.get_by_label("Me le rappeler le").fill(f"{yesterday}T09:00")
    page.get_by_role("button", name="Programmer le rappel").click()
    expect(page.locator("#followup-due-error")).to_have_text("Choisissez un moment à venir.")
    check_page(page, "reminder refused")
    tomorrow = (local_today() + dt.timedelta(days=1)).isoformat()
    page.get_by_label("Me le rappeler le").fill(f"{tomorrow}T09:00")
    page.get_by_label("Pourquoi (facultatif)").fill("Rappeler le câbleur")
    page.get_by_role("button", name="Programmer le rappel").click()
    expect(page.locator("[data-followups]")).to_contain_text("Rappeler le câbleur")
    check_page(page, "ticket with a reminder")

    page.get_by_text("Ajouter une note interne", exact=True).click()
    page.get_by_label("Note interne (jamais montrée au demandeur)").fill("Câbleur prévenu.")
    page.get_by_label("Sophie Durand").check()
    page.get_by_role("button", name="Ajouter la note").click()
    expect(page.locator(".told")).to_have_text("Prévenus : Sophie Durand")

    page.get_by_text("Remettre dans la file", exact=True).click()
    page.get_by_label("Un mot pour vos collègues (facultatif)").fill("Je pars en congés.")
    page.get_by_role("button", name="Remettre dans la file, sans technicien").click()
    expect(page.locator("[data-assignee]")).to_have_text("Non attribué")
    expect(page.locator(".timeline")).to_contain_text("Remis dans la file, sans technicien")
    check_page(page, "ticket given back")

    page.get_by_text("Karim Benali").first.click()  # the user menu
    page.get_by_role("link", name="Mon absence").click()
    page.get_by_label("Premier jour d’absence").fill((local_today() + dt.timedelta(3)).isoformat())
    page.get_by_label("Dernier jour d’absence").fill(local_today().isoformat())
    page.get_by_role("button", name="Enregistrer mon absence").click()
    expect(page.locator("#ends_on-error")).to_contain_text("le premier jour ou après")
    check_page(page, "absence refused")
    page.get_by_label("Premier jour d’absence").fill(local_today().isoformat())
    page.get_by_label("Dernier jour d’absence").fill((local_today() + dt.timedelta(3)).isoformat())
    page.get_by_label("Remettre dès maintenant dans leurs files").check()
    page.get_by_role("button", name="Enregistrer mon absence").click()
    expect(page.locator("[data-absence]")).to_contain_text("Vous êtes absent jusqu’au")
    check_page(page, "absence recorded")

    db.session.expire_all()
    held = db.session.query(Ticket).filter(Ticket.assignee_id == karim.id).count()
    assert held == 0
    assert db.session.get(Ticket, ticket.id).status is Status.NEW

    # Sophie assigns the ticket back to him by mistake: the page says he is away.
    other = new_page(chromium)
    log_in(other, live_server, sophie.email)
    other.goto(f"{live_server}/tickets/{ticket.reference}")
    option = other.locator("#assignee option", has_text="Karim Benali")
    expect(option).to_contain_text("(absent jusqu’au ")
    other.locator("#assignee").select_option(label=option.inner_text())
    other.get_by_role("button", name="Attribuer", exact=True).click()
    expect(other.locator("[data-away]")).to_contain_text("absent jusqu’au")
    check_page(other, "ticket of someone away")
