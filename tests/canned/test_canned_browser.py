"""In a real browser: "Insert" puts a canned reply in the reply box without leaving the page
(static/ticket.js); with JavaScript off, the same button reloads the page with the box filled
in by the server. The ticket page also fits a 320 px wide screen without sideways scroll."""

from __future__ import annotations

import re

import pytest

from tests.support.live_server import log_in, new_page

pytestmark = pytest.mark.browser


def test_insert_with_javascript(live_server, chromium, team):
    from playwright.sync_api import expect

    page = new_page(chromium)
    log_in(page, live_server, team.tech.email)
    url = f"{live_server}/tickets/{team.ticket.reference}"
    page.goto(url)
    box = page.locator("#reply-body")
    box.fill("Merci pour votre message.")
    page.select_option("#canned-choice", str(team.welcome.id))
    page.get_by_role("button", name="Insérer").click()
    expected = (
        f"Merci pour votre message.\nBonjour Claire Martin,\n"
        f"Nous traitons {team.ticket.reference}. User"
    )
    expect(box).to_have_value(re.compile("^" + re.escape(expected)))
    expect(page).to_have_url(url)  # no reload: the draft above was kept in place
    expect(page.locator("[data-canned-status]")).to_have_text(
        "La réponse type a été insérée dans la zone de réponse."
    )
    # The inserted text is sent like any reply.
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.locator(".timeline")).to_contain_text("Bonjour Claire Martin,")


def test_insert_without_javascript(live_server, chromium, team):
    from playwright.sync_api import expect

    page = new_page(chromium, javascript=False)
    log_in(page, live_server, team.tech.email)
    page.goto(f"{live_server}/tickets/{team.english.reference}")
    page.select_option("#canned-choice", str(team.welcome.id))
    page.get_by_role("button", name="Insérer").click()
    expect(page).to_have_url(
        f"{live_server}/tickets/{team.english.reference}?canned={team.welcome.id}#reply-body"
    )
    # The requester reads English: the English text, with their name and the reference.
    expect(page.locator("#reply-body")).to_have_value(
        re.compile(f"^Hello John Smith,\nWe are on {team.english.reference}\\.")
    )


def test_ticket_page_fits_a_small_screen(live_server, chromium, team):
    page = new_page(chromium)
    page.set_viewport_size({"width": 320, "height": 640})
    log_in(page, live_server, team.tech.email)
    page.goto(f"{live_server}/tickets/{team.ticket.reference}")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    # Headings give the page its outline: conversation, reply, then the side panel.
    headings = page.locator("main h2").all_inner_texts()
    assert headings[:4] == ["Échanges", "Répondre", "Détails", "Traiter"]
