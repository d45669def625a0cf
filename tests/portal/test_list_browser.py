"""In a real browser at 320 px, "Mes demandes" reads as a table: its headers keep their words
whole, the table scrolls sideways in its own region and the page itself does not."""

from __future__ import annotations

import pytest

from tests.support.a11y import TEXT_LINES
from tests.support.factories import make_ticket, make_user
from tests.support.live_server import chromium, live_server, log_in, new_page

__all__ = ["chromium", "live_server"]
pytestmark = pytest.mark.browser


def test_my_requests_at_320_px_scroll_in_their_region_with_words_whole(live_server, chromium, db):
    claire = make_user("claire@umontpellier.fr")
    make_ticket(requester=claire, subject="Association d’un compte Zoom " * 3)
    page = new_page(chromium)
    page.set_viewport_size({"width": 320, "height": 800})
    log_in(page, live_server, claire.email)
    page.goto(f"{live_server}/mes-demandes")
    headers = page.locator("table.my-requests thead th")
    assert headers.count() == 5
    for i in range(5):
        th = headers.nth(i)
        assert th.evaluate(TEXT_LINES) <= len(th.inner_text().split()), th.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    region = page.locator(".table-scroll")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")  # it scrolls, not the page
