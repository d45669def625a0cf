"""The bell's list in a real browser: the reason a colleague typed when transferring a
ticket away from its technician is marked with the language it was written in when the
reader's pages are in the other one (RGAA 8.7), and axe-core finds nothing on the page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.a11y.world import sign_in
from tests.support.a11y import axe_violations

pytestmark = pytest.mark.browser

REASON = "Le câble est à changer dans la salle serveur, c’est pour l’équipe de la salle."


@pytest.fixture(scope="module")
def transferred(app, site):
    """One of the network technician's Richter tickets, transferred by the admin (writing in
    French) to a queue of the domain the technician does not work."""
    from desk.auth.models import User
    from desk.core.i18n import written_in
    from desk.extensions import db
    from desk.tickets.actions import transfer_ticket
    from desk.tickets.models import Status, Ticket
    from tests.support.factories import make_queue

    with app.app_context():
        karim = db.session.scalar(select(User).filter_by(email="tech.reseau@umontpellier.fr"))
        admin = db.session.scalar(select(User).filter_by(email="admin@umontpellier.fr"))
        ticket = db.session.scalar(
            select(Ticket)
            .filter(Ticket.assignee_id == karim.id, Ticket.status != Status.CLOSED)
            .order_by(Ticket.id)
        )
        other = make_queue(ticket.domain, code="reseau-salle-serveur")
        db.session.commit()
        with written_in("fr"):
            transfer_ticket(ticket, other, reason=REASON, actor=admin)
        db.session.commit()


@pytest.mark.parametrize("lang, marked", [("en", "fr"), ("fr", None)])
def test_a_transfer_reason_is_marked_with_its_language(browser, site, transferred, lang, marked):
    context = browser.new_context(locale={"fr": "fr-FR", "en": "en-GB"}[lang])
    page = context.new_page()
    try:
        sign_in(page, site, "technician")
        page.goto(f"{site}/notifications")
        quote = page.locator("q", has_text="salle serveur")
        assert quote.count() == 1
        assert quote.get_attribute("lang") == marked
        assert axe_violations(page) == []
    finally:
        context.close()
