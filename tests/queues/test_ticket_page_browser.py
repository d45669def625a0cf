"""In a real browser, the ticket pages read well. A ticket's form data reads the same on the
technician's page as on the requester's: each answer beside or under its question in bold, a
description keeping the line breaks the requester typed (the rules once lived in a stylesheet
only the requester's page loaded). The timeline sets messages apart from changes."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from tests.support.a11y import TEXT_LINES
from tests.support.factories import make_queue, make_request_type, make_ticket, make_user
from tests.support.live_server import chromium, live_server, log_in, new_page

__all__ = ["chromium", "live_server"]
pytestmark = pytest.mark.browser

DESCRIPTION = "Plus de réseau depuis ce matin.\nLe voyant de la prise est éteint.\nMerci"


@pytest.mark.parametrize("width", [1280, 320])
def test_form_data_is_laid_out_on_both_ticket_pages(live_server, chromium, db, width):
    queue = make_queue(code="reseau")
    tech = make_user("karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    claire = make_user("claire@umontpellier.fr", locale="fr")
    network = make_request_type(form_key="network_problem", kind="incident", queue=queue)
    ticket = make_ticket(
        queue=queue,
        requester=claire,
        request_type=network,
        data={"wall_socket": "B16-1-023", "pc_name": "UM-PC-1187", "description": DESCRIPTION},
    )
    for user, url in (
        (tech, f"/tickets/{ticket.reference}"),
        (claire, f"/mes-demandes/{ticket.reference}"),
    ):
        page = new_page(chromium)
        page.set_viewport_size({"width": width, "height": 900})
        log_in(page, live_server, user.email)
        page.goto(live_server + url)
        label = page.locator(".ticket-data .row-pc_name dt")
        assert label.inner_text() == "Nom de l’ordinateur", url
        assert int(label.evaluate("e => getComputedStyle(e).fontWeight")) >= 600, url
        value = page.locator(".ticket-data .row-pc_name dd")
        assert value.evaluate("e => getComputedStyle(e).marginLeft") == "0px", url
        if width == 1280:  # the answer beside its question
            assert value.bounding_box()["y"] == pytest.approx(label.bounding_box()["y"], abs=2)
        else:  # under it, on a phone
            assert value.bounding_box()["y"] > label.bounding_box()["y"] + 10
        description = page.locator(".ticket-data .row-description .multiline")
        assert description.evaluate(TEXT_LINES) >= 3, url  # one line per line typed, at least
        page.close()


def test_what_people_wrote_stands_out_from_what_changed(live_server, chromium, db):
    from desk.extensions import db as sa
    from desk.tickets.models import EventKind, TicketEvent

    queue = make_queue(code="reseau")
    tech = make_user("karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,))
    claire = make_user("claire@umontpellier.fr", locale="fr")
    ticket = make_ticket(queue=queue, requester=claire, subject="Wi-Fi en panne")
    for kind, actor, body, extra in (
        (
            EventKind.CHANGE,
            tech,
            "",
            {"field": "status", "old_value": "new", "new_value": "assigned"},
        ),
        (EventKind.REPLY, tech, "Bonjour,\nEssayez la prise voisine.", {}),
        (EventKind.COMMENT, claire, "Cela fonctionne, merci.", {}),
    ):
        sa.session.add(TicketEvent(ticket=ticket, actor=actor, kind=kind, body=body, **extra))
    sa.session.commit()
    for user, url in (
        (tech, f"/tickets/{ticket.reference}"),
        (claire, f"/mes-demandes/{ticket.reference}"),
    ):
        page = new_page(chromium)
        page.set_viewport_size({"width": 1280, "height": 900})
        log_in(page, live_server, user.email)
        page.goto(live_server + url)
        change = page.locator(".timeline .event-change")
        assert "Attribué" in change.inner_text(), url
        assert change.evaluate(TEXT_LINES) == 1, url  # who, when and what on one quiet line
        edges = {}
        for kind in ("reply", "comment"):
            box = page.locator(f".timeline .event-{kind}")
            style = box.evaluate(
                "e => { const s = getComputedStyle(e);"
                " return [s.borderLeftWidth, s.borderLeftColor, s.borderTopWidth]; }"
            )
            assert style[0] == "4px" and style[2] == "1px", (url, kind, style)  # boxed, edged
            edges[kind] = style[1]
        assert edges["reply"] != edges["comment"], url  # whose message it is, at a glance
        page.close()


def test_a_long_history_offers_a_way_to_its_latest_messages_and_the_reply(
    live_server, chromium, db
):
    """Ninety messages later, the reply box was some 10,000 pixels under the request: a link
    at the top of the conversation leads to the latest messages, the reply box right under."""
    from desk.extensions import db as sa
    from desk.tickets.models import EventKind, TicketEvent

    queue = make_queue(code="reseau")
    tech = make_user("karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), locale="en")
    claire = make_user("claire@umontpellier.fr", locale="fr")
    ticket = make_ticket(queue=queue, requester=claire, subject="Wi-Fi en panne")
    short = make_ticket(queue=queue, requester=claire, subject="Clavier")
    for i in range(90):
        author, kind = (tech, EventKind.REPLY) if i % 2 else (claire, EventKind.COMMENT)
        sa.session.add(TicketEvent(ticket=ticket, actor=author, kind=kind, body=f"Message {i}"))
    sa.session.commit()
    page = new_page(chromium)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, tech.email)
    page.goto(f"{live_server}/tickets/{ticket.reference}")
    link = page.get_by_role("link", name="Go to the latest messages and the reply")
    assert link.bounding_box()["y"] < 900  # on the first screen
    link.click()
    last = page.locator(".timeline li.event").last
    assert "Message 89" in last.inner_text()
    for seen in (last, page.locator("#reply-form textarea[name=body]")):
        box = seen.bounding_box()
        assert 0 <= box["y"] < 900, box  # on the screen the link leads to
    # A short conversation needs no link.
    page.goto(f"{live_server}/tickets/{short.reference}")
    expect_none = page.get_by_role("link", name="Go to the latest messages and the reply")
    assert expect_none.count() == 0
