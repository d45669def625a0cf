"""Done-when, tried as people would in Chromium: "Se connecter", the CAS form, back in desk
with the directory's identity, a request filed; a student without the staff-only entry; the
nightly sync deactivates who left; signing out at the CAS ends the desk session."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from desk.auth.models import User
from desk.extensions import db
from desk.identity.directory import get_directory
from desk.identity.sync import sync_directory
from desk.tickets.models import Ticket
from tests.identity.conftest import CAS_PASSWORD
from tests.support.live_server import new_page

pytestmark = pytest.mark.browser


def _sign_in(page, base: str, cas_url: str, login: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/home")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_role("link", name="Se connecter").click()
    expect(page).to_have_url(re.compile("^" + re.escape(cas_url + "login")))
    page.fill("#username", login)
    page.fill("#password", CAS_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/home")


def test_staff_and_student_through_the_cas_then_sync_and_single_logout(
    cas_app, cas, slapd, live_server, chromium, app_ctx
):
    from playwright.sync_api import expect

    cas_app.config.update(BASE_URL=live_server, DIRECTORY_MAX_DEACTIVATE_PERCENT=50)

    # A member of staff: name, e-mail, phone and staff status come from the directory.
    claire = new_page(chromium)
    _sign_in(claire, live_server, cas.url, "cmartin")
    expect(claire.locator("header")).to_contain_text("Claire Martin")
    claire.goto(f"{live_server}/preferences")
    expect(claire.locator("#phone-number")).to_contain_text("12 34")
    claire.goto(f"{live_server}/catalogue")
    expect(claire.locator("a[href$='/catalogue/comptes-wifi-evenement']")).to_be_visible()
    claire.goto(f"{live_server}/catalogue/licence-zoom")
    claire.fill("#zoom_email", "claire.martin@umontpellier.fr")
    claire.check("#account_created")
    claire.click("form.request-form [type=submit]")
    expect(claire).to_have_url(re.compile(r"/catalogue/confirmation/"))
    user = db.session.scalar(select(User).filter_by(email="claire.martin@umontpellier.fr"))
    assert user.is_staff and user.phone == "+33467141234"
    assert db.session.scalar(select(Ticket).filter_by(requester_id=user.id)) is not None

    # A student: no staff-only entry.
    leo = new_page(chromium)
    _sign_in(leo, live_server, cas.url, "lpetit")
    leo.goto(f"{live_server}/catalogue")
    expect(leo.locator("a[href$='/catalogue/licence-zoom']")).to_be_visible()
    expect(leo.locator("a[href$='/catalogue/comptes-wifi-evenement']")).to_have_count(0)

    # Léo leaves the university: the next sync deactivates him and his session ends.
    slapd.delete("lpetit")
    run = sync_directory(get_directory(cas_app.config))
    db.session.commit()
    assert run.status == "ok" and run.counts["deactivated"] == 1
    leo.goto(f"{live_server}/catalogue")
    expect(leo).to_have_url(re.compile(r"/login"))

    # Claire signs out at the CAS (the ENT's logout): the CAS calls desk back, her desk
    # session is over.
    claire.goto(f"{cas.url}logout")
    assert [status for _service, status in cas.slo_results] == [200]
    claire.goto(f"{live_server}/home")
    expect(claire).to_have_url(re.compile(r"/login"))


def test_desk_logout_goes_through_the_cas(cas_app, cas, live_server, chromium, app_ctx):
    from playwright.sync_api import expect

    cas_app.config["BASE_URL"] = live_server
    page = new_page(chromium)
    _sign_in(page, live_server, cas.url, "cmartin")
    page.locator("details.usermenu summary").click()
    page.get_by_role("button", name="Se déconnecter").click()
    # Through the CAS logout and back to desk's login page...
    expect(page).to_have_url(f"{live_server}/login")
    # ...so the CAS session is gone too: "Se connecter" asks for the password again.
    page.get_by_role("link", name="Se connecter").click()
    expect(page.locator("#password")).to_be_visible()
