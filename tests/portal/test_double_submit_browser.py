"""In a real browser, a second click on "Send" while the first is on its way posts nothing:
one comment, one e-mail to the staff (desk.js sends a POST form once per page)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desk.extensions import db
from desk.tickets.models import EventKind, TicketEvent
from tests.support.factories import make_ticket, make_user
from tests.support.live_server import chromium, live_server, log_in, new_page

__all__ = ["chromium", "live_server"]
pytestmark = pytest.mark.browser


def _comments(ticket) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count())
        .select_from(TicketEvent)
        .filter_by(ticket_id=ticket.id, kind=EventKind.COMMENT)
    )


def test_a_second_click_while_the_first_is_on_its_way_posts_nothing(live_server, chromium, db):
    claire = make_user("claire@umontpellier.fr")
    ticket = make_ticket(requester=claire, subject="Imprimante bloquée")
    page = new_page(chromium)
    log_in(page, live_server, claire.email)
    page.goto(f"{live_server}/mes-demandes/{ticket.reference}")
    page.fill("textarea[name=body]", "Toujours en panne ce matin.")
    # The browser's POSTs are held on their way (as a slow network would), and counted.
    held = []
    page.route("**/commentaire", lambda route: held.append(route))
    send = "form[action$='/commentaire'] [type=submit]"
    box = page.locator(send).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # The mouse itself: Playwright's own click would wait for the first navigation to end.
    page.mouse.click(x, y)
    page.wait_for_timeout(300)
    assert len(held) == 1
    page.mouse.click(x, y)
    page.wait_for_timeout(300)
    assert len(held) == 1  # the second click sent nothing
    with page.expect_navigation():
        held[0].continue_()
    page.unroute("**/commentaire")
    assert "Toujours en panne ce matin." in page.content()
    assert _comments(ticket) == 1
    # The page that came back is a new one: its form can be sent again.
    page.fill("textarea[name=body]", "Et cet après-midi aussi.")
    with page.expect_navigation():
        page.locator(send).click()
    assert _comments(ticket) == 2
