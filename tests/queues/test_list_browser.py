"""In a real browser, the queue list reads as a table: every word of its headers and short
cells whole on one line, the table scrolling sideways on a narrow screen instead."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from tests.support.a11y import TEXT_LINES
from tests.support.factories import make_queue, make_ticket, make_user
from tests.support.live_server import chromium, live_server, log_in, new_page

__all__ = ["chromium", "live_server"]
pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 1024])
def test_headers_and_statuses_are_never_broken_inside_a_word(live_server, chromium, db, width):
    queue = make_queue(code="reseau")
    tech = make_user("karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    make_ticket(queue=queue, subject="Association d’un compte Zoom " * 3, status="new")
    page = new_page(chromium)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, tech.email)
    page.goto(f"{live_server}/queues/reseau")
    headers = page.locator("table.tickets thead th")
    assert headers.count() == 9
    for i in range(1, 9):  # the first one is the hidden "Select"
        th = headers.nth(i)
        words = len(th.inner_text().split())
        assert th.evaluate(TEXT_LINES) <= words, th.inner_text()  # wraps between words only
    badge = page.locator("table.tickets .badge").first
    assert badge.inner_text() == "Nouveau" and badge.evaluate(TEXT_LINES) == 1
