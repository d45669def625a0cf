"""In a real browser: on a phone the main menu sits behind a "Menu" button, a disclosure that
keyboard and screen-reader users work like any other; on a wide screen, and without
JavaScript, its links are always shown."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from desk.auth.models import Role
from tests.support.factories import make_queue, make_user
from tests.support.live_server import chromium, live_server, log_in, new_page

__all__ = ["chromium", "live_server"]
pytestmark = pytest.mark.browser

LINKS = "nav.mainnav a"


def _tech():
    return make_user("karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(make_queue(),))


def test_on_a_phone_the_menu_opens_and_closes(live_server, chromium, db):
    tech = _tech()
    page = new_page(chromium)
    page.set_viewport_size({"width": 320, "height": 800})
    log_in(page, live_server, tech.email)
    button = page.get_by_role("button", name="Menu", exact=True)
    assert button.get_attribute("aria-expanded") == "false"
    assert button.get_attribute("aria-controls") == "mainnav-links"
    assert not page.locator(LINKS).first.is_visible()
    # The page starts right under the bar: the links no longer push it down.
    assert page.locator("main h1").bounding_box()["y"] < 400

    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    queues = page.get_by_role("navigation").get_by_role("link", name="Mes files")
    assert queues.is_visible()
    page.keyboard.press("Tab")  # the first link comes right after the button
    assert page.evaluate("document.activeElement.closest('nav.mainnav') !== null")
    page.keyboard.press("Escape")  # closes, and the focus goes back to the button
    assert button.get_attribute("aria-expanded") == "false" and not queues.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")

    # A common phone (375 px): two rows, the name, the bell and the button, then the user menu.
    page.set_viewport_size({"width": 375, "height": 800})
    bar = page.locator("header.topbar").bounding_box()
    assert bar["height"] < 110, bar
    brand, toggle = page.locator(".topbar .brand"), page.locator(".menu-toggle")
    assert abs(brand.bounding_box()["y"] - toggle.bounding_box()["y"]) < 20

    button.click()
    queues.click()
    expect(page).to_have_url(f"{live_server}/queues")
    # The URL changes before the new page has its stylesheet: measure the page once loaded
    # (under load an unstyled page was measured, 543 px wide).
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_on_a_wide_screen_and_without_javascript_the_links_are_shown(live_server, chromium, db):
    tech = _tech()
    wide = new_page(chromium)
    wide.set_viewport_size({"width": 1280, "height": 800})
    log_in(wide, live_server, tech.email)
    assert wide.get_by_role("navigation").get_by_role("link", name="Mes files").is_visible()
    assert not wide.locator(".menu-toggle").is_visible()
    wide.set_viewport_size({"width": 320, "height": 800})  # a window made narrow: collapses
    # (on the media query's change event, which comes after the resize: wait for it)
    expect(wide.locator(".menu-toggle")).to_be_visible()
    expect(wide.get_by_role("navigation").get_by_role("link", name="Mes files")).to_be_hidden()

    plain = new_page(chromium, javascript=False)
    plain.set_viewport_size({"width": 320, "height": 800})
    log_in(plain, live_server, tech.email)
    assert plain.get_by_role("navigation").get_by_role("link", name="Mes files").is_visible()
    assert plain.locator(".menu-toggle").count() == 0
