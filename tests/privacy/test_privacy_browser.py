"""In a real browser: a requester reads the privacy page from the footer, downloads her data,
and opens a request of hers erased past its retention; an admin erases someone who left, at
their request (the confirmation box forgotten first). axe-core, the error ties and a 320 px
reflow on each page of the way."""

from __future__ import annotations

import json

import pytest

from desk.auth.models import Role
from desk.extensions import db as sql
from desk.privacy.services import erase_ticket
from desk.tickets.actions import add_reply
from desk.tickets.models import Ticket
from tests.support.a11y import check_page
from tests.support.factories import make_queue, make_ticket, make_user
from tests.support.live_server import chromium, live_server, log_in, new_page

__all__ = ["chromium", "live_server"]
pytestmark = pytest.mark.browser


def test_a_requester_and_an_admin_use_the_personal_data_pages(live_server, chromium, db):
    from playwright.sync_api import expect

    queue = make_queue(code="reseau")
    tech = make_user("karim@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,), name="Karim")
    claire = make_user("claire@umontpellier.fr", name="Claire Martin")
    old = make_ticket(queue=queue, requester=claire, subject="Prise 214", status="in_progress")
    add_reply(sql.session.get(Ticket, old.id), "Prise changée, bureau 214", actor=tech)
    sql.session.commit()
    ticket = sql.session.get(Ticket, old.id)
    ticket.status = "closed"
    sql.session.commit()
    erase_ticket(old.id)
    sql.session.commit()
    admin = make_user("admin@umontpellier.fr", role=Role.ADMIN, name="Admin")
    leo = make_user("leo@umontpellier.fr", name="Léo Petit", is_active=False)

    page = new_page(chromium)
    log_in(page, live_server, claire.email)
    page.get_by_role("link", name="Données personnelles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Données personnelles")
    check_page(page, "privacy page")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mes données (fichier JSON)").click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert [r["reference"] for r in data["requests"]] == [old.reference]
    assert data["requests"][0]["messages"] == []  # erased

    page.goto(f"{live_server}/mes-demandes/{old.reference}")
    expect(page.locator("[data-erased]")).to_contain_text("a été effacé le")
    expect(page.locator("main")).not_to_contain_text("bureau 214")
    check_page(page, "an erased request")

    page = new_page(chromium)
    log_in(page, live_server, admin.email)
    page.goto(f"{live_server}/admin/accounts/{leo.id}")
    page.get_by_role("link", name="Effacer les données de ce compte").click()
    page.get_by_role("button", name="Effacer maintenant").click()
    expect(page.locator("#confirm-error")).to_contain_text("Cochez la case")
    check_page(page, "erasure refused")
    page.get_by_label("Je comprends que c’est irréversible").check()
    page.get_by_role("button", name="Effacer maintenant").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compte anonymisé")
    check_page(page, "anonymised account")
