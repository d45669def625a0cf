"""In a real browser: the catalogue filters as you type, and the network-problem form's
place lists refill in place. Both need static/catalog.js and static/places.js to work; the
no-JavaScript paths are covered by test_catalog_page.py and test_catalog_network.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from desk.extensions import db
from desk.reference.models import Building, Floor
from tests.catalog.world import only_ticket
from tests.support.factories import make_user
from tests.support.live_server import log_in, new_page

pytestmark = pytest.mark.browser


def _entries(page):
    """The catalogue entries, keyed by their form's slug."""
    return {
        slug: page.locator(f"[data-catalogue-entry]:has(a[href$='/catalogue/{slug}'])")
        for slug in (
            "comptes-wifi",
            "liste-diffusion",
            "licence-zoom",
            "numero-telephone",
            "connexion-reseau",
        )
    }


def _assert_only_visible(entries, *slugs: str) -> None:
    from playwright.sync_api import expect

    for slug, entry in entries.items():
        if slug in slugs:
            expect(entry).to_be_visible()
        else:
            expect(entry).to_be_hidden()


def test_search_box_filters_entries_as_you_type(live_server, chromium, world):
    from playwright.sync_api import expect

    user = make_user()
    page = new_page(chromium)
    log_in(page, live_server, user.email)
    page.goto(f"{live_server}/catalogue")
    entries = _entries(page)
    search = page.locator("#catalogue-q")
    empty = page.locator("[data-catalogue-empty]")
    _assert_only_visible(entries, *entries)
    expect(empty).to_be_hidden()

    # Typing, not submitting: the URL stays the same, the page filters itself.
    search.press_sequentially("zoom")
    _assert_only_visible(entries, "licence-zoom")
    assert all(entry.is_visible() is (slug == "licence-zoom") for slug, entry in entries.items())
    # Only the video-conference category (and its domain) stay; the others are hidden.
    expect(page.locator(".catalogue-category h3:visible")).to_have_text(["Visioconférence"])
    expect(page.locator(".catalogue-domain h2:visible")).to_have_text(["Informatique et Numérique"])
    expect(empty).to_be_hidden()
    expect(page).to_have_url(f"{live_server}/catalogue")

    search.fill("")
    search.press_sequentially("xylophone")
    _assert_only_visible(entries)
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("Aucune")

    search.fill("")  # fill() fires the input event too
    _assert_only_visible(entries, *entries)
    expect(empty).to_be_hidden()

    # Accents and case do not matter: "RESEAU" finds the "Réseau et Wi-Fi" category.
    search.press_sequentially("RESEAU")
    _assert_only_visible(entries, "comptes-wifi", "connexion-reseau")
    search.fill("visioconference")
    _assert_only_visible(entries, "licence-zoom")
    # Every word must match.
    search.fill("réseau connexion")
    _assert_only_visible(entries, "connexion-reseau")
    search.fill("")
    _assert_only_visible(entries, *entries)

    # Hyphens and punctuation do not matter either: "wifi" finds the "Réseau et Wi-Fi"
    # category's entries, whichever way it is typed.
    search.press_sequentially("wifi")
    _assert_only_visible(entries, "comptes-wifi", "connexion-reseau")
    expect(empty).to_be_hidden()
    for typed in ("Wi-Fi", "WI‑FI", "wi fi", "wi.fi"):
        search.fill("")
        _assert_only_visible(entries, *entries)
        search.fill(typed)
        _assert_only_visible(entries, "comptes-wifi", "connexion-reseau")
    # The English category name "E-mail" of "Messagerie": "email" finds its entry.
    search.fill("email")
    _assert_only_visible(entries, "liste-diffusion")


def test_network_form_lists_refill_in_place_and_the_ticket_keeps_the_place(
    live_server, chromium, world
):
    from playwright.sync_api import expect

    triolet = world.triolet[0]
    # A second building on Triolet and a second floor in it, so "only that site's" shows.
    b36 = Building(site=triolet, code="b36", name="Bâtiment 36")
    ground = Floor(building=b36, code="0", name="Rez-de-chaussée", position=0)
    second = Floor(building=b36, code="2", name="2e étage", position=2)
    db.session.add_all([b36, ground, second])
    db.session.commit()

    user = make_user()  # no saved location: nothing is prefilled
    assert user.site_id is None
    page = new_page(chromium)
    log_in(page, live_server, user.email)
    page.goto(f"{live_server}/catalogue/connexion-reseau")

    site, building, floor = page.locator("#site"), page.locator("#building"), page.locator("#floor")
    expect(site).to_have_value("")
    expect(building.locator("option")).to_have_count(1)
    expect(floor.locator("option")).to_have_count(1)
    # JavaScript works: the server round-trip button is hidden.
    expect(page.locator("[name=refresh]")).to_be_hidden()

    site.select_option(label="Campus Richter")
    expect(building.locator("option:not([value=''])")).to_have_text(["Bâtiment 1 Campus Richter"])
    site.select_option(label="Campus Triolet")
    expect(building.locator("option:not([value=''])")).to_have_text(
        ["Bâtiment 1 Campus Triolet", "Bâtiment 36"]
    )
    expect(floor.locator("option")).to_have_count(1)
    building.select_option(label="Bâtiment 36")
    expect(floor.locator("option:not([value=''])")).to_have_text(["Rez-de-chaussée", "2e étage"])
    building.select_option(label="Bâtiment 1 Campus Triolet")
    expect(floor.locator("option:not([value=''])")).to_have_text(["1er étage"])
    building.select_option(label="Bâtiment 36")
    expect(floor.locator("option")).to_have_count(3)
    floor.select_option(label="2e étage")
    assert page.url == f"{live_server}/catalogue/connexion-reseau"  # no round trip

    page.check("#checked_cable")
    page.check("#checked_wifi")
    page.fill("#wall_socket", "B36-2-017")
    since = dt.datetime.now() - dt.timedelta(days=1)
    page.fill("#since", since.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#pc_name", "um-pc-777")
    page.check("input[name=plugged_via][value=direct]")
    page.check("input[name=connection][value=wired]")
    page.fill("#description", "Le voyant de la prise reste éteint depuis hier.")
    page.click("form.request-form [name=submit]")

    reference = page.locator("[data-reference]")
    expect(reference).to_contain_text(f"INC-{dt.date.today().year}-")
    ticket = only_ticket()
    assert reference.inner_text() == ticket.reference
    assert (ticket.site_id, ticket.building_id, ticket.floor_id) == (triolet.id, b36.id, second.id)
    assert ticket.queue.code == "reseau-triolet"
    assert ticket.data["place"] == "Campus Triolet › Bâtiment 36 › 2e étage"
    assert ticket.data["plugged_via"] == "direct"
    assert ticket.requester_id == user.id


def test_back_then_send_again_gives_the_first_ticket(live_server, chromium, world):
    """The form page is fetched again on "Back" (never cached) and the browser puts the
    entries back: "Send" again filed the request a second time. Changed first, it is a new
    request. (Without JavaScript the page cannot know it was reached by "Back".)"""
    from playwright.sync_api import expect

    user = make_user("claire.martin@umontpellier.fr")
    page = new_page(chromium)
    log_in(page, live_server, user.email)
    page.goto(f"{live_server}/catalogue/licence-zoom")
    page.check("#account_created")
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"/catalogue/confirmation/DEM-"))
    first = page.url
    page.go_back()
    expect(page.locator("#account_created")).to_be_checked()  # the browser put it back
    page.click("#submit")
    expect(page).to_have_url(first)
    assert _tickets() == 1
    page.go_back()
    page.fill("#zoom_email", "claire.martin@etu.umontpellier.fr")
    page.click("#submit")
    expect(page).not_to_have_url(first)
    expect(page).to_have_url(re.compile(r"/catalogue/confirmation/DEM-"))
    assert _tickets() == 2


def test_without_javascript_back_then_send_again_gives_the_first_ticket(
    live_server, chromium, world
):
    """Without JavaScript nothing puts the token back on "Back": the page is drawn again with
    the token of the request last sent from it in the session. Sent again as it was, it is
    the first ticket, with a message saying so; changed, it is a second request."""
    from playwright.sync_api import expect

    user = make_user("claire.martin@umontpellier.fr")
    page = new_page(chromium, javascript=False)
    log_in(page, live_server, user.email)
    page.goto(f"{live_server}/catalogue/licence-zoom")
    page.check("#account_created")
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"/catalogue/confirmation/DEM-"))
    first = page.url
    reference = page.locator("[data-reference]").inner_text()
    expect(page.locator(".flash")).to_have_count(0)
    page.go_back()
    expect(page.locator("#account_created")).to_be_checked()  # the browser put it back
    page.click("#submit")
    expect(page).to_have_url(first)
    expect(page.locator(".flash-info")).to_contain_text(reference)
    assert _tickets() == 1
    page.go_back()
    page.fill("#zoom_email", "claire.martin@etu.umontpellier.fr")
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"/catalogue/confirmation/DEM-"))
    expect(page).not_to_have_url(first)
    expect(page.locator(".flash")).to_have_count(0)
    assert _tickets() == 2
    second = page.url
    page.go_back()  # the second request's page: sent again, it is the second ticket
    page.click("#submit")
    expect(page).to_have_url(second)
    assert _tickets() == 2


def _tickets() -> int:
    from sqlalchemy import func, select

    from desk.tickets.models import Ticket

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Ticket))
