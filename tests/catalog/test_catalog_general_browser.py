"""In a real browser: when the live filter leaves no entry, the catalogue offers the
catch-all form and the help articles for the words typed, and says so to screen readers.
The server-rendered page is covered by test_catalog_general.py."""

from __future__ import annotations

import pytest

from tests.catalog.test_catalog_general import catch_alls
from tests.support.factories import make_user
from tests.support.live_server import log_in, new_page

pytestmark = pytest.mark.browser

__all__ = ["catch_alls"]


def test_the_live_filter_offers_the_catch_all_when_nothing_matches(
    live_server, chromium, catch_alls
):
    from playwright.sync_api import expect

    page = new_page(chromium)
    log_in(page, live_server, make_user().email)
    page.goto(f"{live_server}/catalogue")
    empty = page.locator("[data-catalogue-empty]")
    link = empty.locator("a[data-catalogue-catch-all]")
    help_link = empty.locator("a[data-catalogue-help]")
    status = page.locator("[data-catalogue-status]")
    expect(empty).to_be_hidden()

    search = page.locator("#catalogue-q")
    search.press_sequentially("mon imprimante ne marche plus")
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("Aucune entrée ne correspond à votre recherche.")
    expect(link).to_be_visible()
    expect(link).to_have_text("Autre demande informatique")
    expect(link).to_have_attribute("href", "/catalogue/autre-demande-informatique")
    expect(help_link).to_have_attribute("href", "/aide?q=mon%20imprimante%20ne%20marche%20plus")
    # The status region says it once typing pauses, the catch-all with it.
    expect(status).to_contain_text("Aucune entrée ne correspond à votre recherche.")
    expect(status).to_contain_text("Autre demande informatique")
    assert page.url == f"{live_server}/catalogue"  # filtered in place, no round trip

    # Something matches again: the offer goes, the count is announced.
    search.fill("zoom")
    expect(empty).to_be_hidden()
    expect(status).to_have_text("1 entrée correspond à votre recherche.")

    # The link leads to the form.
    search.fill("xylophone")
    link.click()
    expect(page).to_have_url(f"{live_server}/catalogue/autre-demande-informatique")
    expect(page.locator("#summary")).to_be_visible()
    expect(page.locator("#description")).to_be_visible()
