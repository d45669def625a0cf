"""In a real browser, a technician is told through the bell: a new ticket in their queue, then
the requester's message; each item is in the reader's language, opens the ticket, and leaves
the unread count once opened, from the bell or not. Staff are never told of their own action."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.tickets.services import add_requester_comment
from tests.notifications.helpers import assign, submit
from tests.support.factories import make_queue, make_user
from tests.support.live_server import chromium, live_server, log_in, new_page

__all__ = ["chromium", "live_server"]
pytestmark = pytest.mark.browser


@pytest.fixture
def queue_and_people(db):
    queue = make_queue(code="reseau")
    french = make_user("karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    english = make_user(
        "john.tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), locale="en"
    )
    requester = make_user("claire@umontpellier.fr", name="Claire Martin")
    return queue, french, english, requester


def test_new_ticket_then_requester_message_reach_the_technician_through_the_bell(
    live_server, chromium, queue_and_people
):
    from playwright.sync_api import expect

    queue, french, english, requester = queue_and_people
    ticket = submit(requester, queue=queue, subject="Prise réseau morte")
    reference = ticket.reference

    page = new_page(chromium)
    log_in(page, live_server, english.email)
    bell = page.locator("a.bell")
    expect(bell).to_have_accessible_name("Notifications: 1 unread")
    bell.click()
    expect(page).to_have_url(f"{live_server}/notifications")
    item = page.locator("li.notification.unread")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("New ticket in your queue")
    expect(item).to_contain_text(reference)
    expect(item).to_contain_text("Prise réseau morte")
    item.get_by_role("button", name="Open the ticket").click()
    expect(page).to_have_url(f"{live_server}/tickets/{reference}")
    expect(page.locator("a.bell")).to_have_accessible_name("Notifications: 0 unread")
    expect(page.locator(".bell-count")).to_have_count(0)

    # The French colleague reads the same event in French.
    other = new_page(chromium)
    log_in(other, live_server, french.email)
    expect(other.locator("a.bell")).to_have_accessible_name("Notifications : 1 non lue(s)")
    other.goto(f"{live_server}/notifications")
    expect(other.locator("li.notification.unread")).to_contain_text(
        "Nouveau ticket dans votre file"
    )

    # The English technician takes it: their own action tells them nothing; the requester's
    # message then reaches them (the assignee), not the colleague.
    assign(ticket, english, actor=english)
    db.session.commit()
    add_requester_comment(ticket, requester, "Toujours rien ce matin.")
    page.goto(f"{live_server}/queues")
    expect(page.locator("a.bell")).to_have_accessible_name("Notifications: 1 unread")
    page.locator("a.bell").click()
    unread = page.locator("li.notification.unread")
    expect(unread).to_have_count(1)
    expect(unread).to_contain_text("New message from the requester")
    unread.get_by_role("button", name="Mark as read").click()
    expect(page.locator("li.notification.unread")).to_have_count(0)
    expect(page.locator(".bell-count")).to_have_count(0)
    other.goto(f"{live_server}/notifications")
    expect(other.locator("li.notification.unread")).to_have_count(1)  # only the new ticket
    # Opening the ticket from the queue's list, not from the bell, reads its entry too.
    other.goto(f"{live_server}/queues/reseau")
    other.get_by_role("link", name=reference).click()
    expect(other).to_have_url(f"{live_server}/tickets/{reference}")
    expect(other.locator(".bell-count")).to_have_count(0)
