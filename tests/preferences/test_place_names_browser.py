"""In a real browser, on an English page: places show their English names, and a French name
(no English one given) is marked lang="fr", also in the lists refilled by JavaScript; axe-core
finds nothing to report (RGAA 8.7)."""

from __future__ import annotations

import pytest

from desk.extensions import db
from desk.reference.places import create_place
from tests.support.a11y import axe_violations
from tests.support.factories import make_user
from tests.support.live_server import log_in, new_page

pytestmark = pytest.mark.browser


@pytest.fixture
def campus(app_ctx):
    triolet = create_place("site", "Campus Triolet", name_en="Triolet campus")
    create_place("site", "Campus Richter")
    create_place("building", "Bâtiment 16", parent=triolet, name_en="Building 16")
    create_place("building", "Bâtiment 36", parent=triolet)
    db.session.commit()


def test_english_page_names_places_in_english_and_marks_french_ones(live_server, chromium, campus):
    from playwright.sync_api import expect

    make_user("bob@umontpellier.fr", password="demo-password", locale="en")
    page = new_page(chromium)
    log_in(page, live_server, "bob@umontpellier.fr", "demo-password")
    page.goto(f"{live_server}/preferences")
    sites = page.locator("#site option")
    expect(sites).to_have_text(["— Choose a site —", "Campus Richter", "Triolet campus"])
    assert sites.nth(1).get_attribute("lang") == "fr"
    assert sites.nth(2).get_attribute("lang") is None

    page.select_option("#site", label="Triolet campus")  # refilled by static/places.js
    buildings = page.locator("#building option")
    # In the order of the names read: 'Bâtiment' (French, no English name) before 'Building'.
    expect(buildings).to_have_text(["— Choose a building —", "Bâtiment 36", "Building 16"])
    assert buildings.nth(1).get_attribute("lang") == "fr"
    assert buildings.nth(2).get_attribute("lang") is None
    assert axe_violations(page) == []
    page.context.close()
