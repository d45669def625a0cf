"""Someone who left the university and came back has a new directory entry (a new entryUUID,
the same login or another). The sync ended their account's link when they left, and a link
ended is taken back by its own entry only: their sign-in opened nothing of theirs, and an
administrator could not link the account again (link_account refuses an ended link), so
their requests stayed in an account nobody could reach. The account page now links an ended
account to the person's new entry, checked against the directory, audited."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db
from tests.identity.conftest import (
    CAS_PASSWORD,
    cas_sign_in,
    link_of,
    new_browser,
    run_sync,
    sign_in_everyone,
    user_by_email,
)
from tests.support.factories import make_ticket
from tests.support.slapd import person

CLAIRE = "claire.martin@umontpellier.fr"
CLAIRE_NOW = "claire.martin-roux@umontpellier.fr"


def _relink(admin_client, user: User, login: str):
    admin_client.get(f"/admin/accounts/{user.id}")  # the page the form is on: its CSRF token
    return admin_client.post(
        f"/admin/accounts/{user.id}/cas-link",
        data={"cas_login": login, "csrf_token": admin_client.last_csrf},
    )


def _claire_left(cas_app, cas, slapd):
    """Claire, with a request, leaves: the sync ends her link."""
    cas_app.config["DIRECTORY_MAX_DEACTIVATE_PERCENT"] = 50
    sign_in_everyone(cas_app, cas)
    claire = user_by_email(CLAIRE)
    ticket = make_ticket(requester=claire, subject="Certificat médical de Claire")
    db.session.commit()
    slapd.delete("cmartin")
    run_sync(cas_app)
    assert link_of(claire).login is None and user_by_email(CLAIRE).is_active_account is False
    return claire, ticket


def test_a_person_back_with_a_new_entry_finds_their_requests_again(
    cas_app, cas, slapd, app_ctx, admin_client, caplog
):
    claire, ticket = _claire_left(cas_app, cas, slapd)
    # Back with a new contract: a new entry, the same login and address.
    slapd.add_person("cmartin", person("cmartin", "Claire Martin", CLAIRE, ["staff"]))
    new_uuid = slapd.entry_uuid("cmartin")
    refused = cas_sign_in(new_browser(cas_app), cas, "cmartin")
    assert refused.status_code == 403 and 'data-problem="email_taken"' in refused.text

    page = admin_client.get(f"/admin/accounts/{claire.id}")
    assert f'action="/admin/accounts/{claire.id}/cas-link"' in page.text
    with caplog.at_level(logging.INFO, logger="desk.audit"):
        response = _relink(admin_client, claire, "CMartin")
    assert response.status_code == 302, response.text
    assert any("user.cas_relinked" in r.getMessage() for r in caplog.records)
    link = link_of(claire)
    assert (link.login, link.entry_id, link.is_gone) == ("cmartin", new_uuid, False)
    assert user_by_email(CLAIRE).is_active_account is True

    accounts = db.session.scalar(select(func.count(User.id)))
    browser = new_browser(cas_app)
    assert cas_sign_in(browser, cas, "cmartin").status_code == 302
    assert ticket.reference in browser.get("/mes-demandes").text
    assert db.session.scalar(select(func.count(User.id))) == accounts
    # The sync keeps it so: her entry is the link's now.
    run = run_sync(cas_app)
    assert run.counts["deactivated"] == 0 and run.counts["reactivated"] == 0
    assert link_of(claire).login == "cmartin" and user_by_email(CLAIRE).is_active_account


def test_the_account_sign_in_opened_for_them_is_deactivated_first(
    cas_app, cas, slapd, app_ctx, admin_client
):
    """Back with a new login and address, Claire signed in before anyone noticed: sign-in
    opened a new, empty account. Relinking is refused while it is active, saying what to do;
    deactivated, it gives the entry up."""
    claire, ticket = _claire_left(cas_app, cas, slapd)
    slapd.add_person("cmroux", person("cmroux", "Claire Martin", CLAIRE_NOW, ["staff"]))
    cas.add_account("cmroux", CAS_PASSWORD, uid="cmroux", mail=CLAIRE_NOW)
    assert cas_sign_in(new_browser(cas_app), cas, "cmroux").status_code == 302
    fresh = user_by_email(CLAIRE_NOW)
    assert fresh.id != claire.id

    refused = _relink(admin_client, claire, "cmroux")
    assert refused.status_code == 400 and CLAIRE_NOW in refused.text
    assert link_of(claire).login is None and link_of(fresh).login == "cmroux"

    admin_client.get(f"/admin/accounts/{fresh.id}")
    deactivated = admin_client.post(
        f"/admin/accounts/{fresh.id}/deactivate", data={"csrf_token": admin_client.last_csrf}
    )
    assert deactivated.status_code == 302
    assert _relink(admin_client, claire, "cmroux").status_code == 302
    assert (link_of(fresh).login, link_of(fresh).former_login, link_of(fresh).entry_id) == (
        None,
        "cmroux",
        None,
    )
    assert link_of(claire).login == "cmroux"
    browser = new_browser(cas_app)
    assert cas_sign_in(browser, cas, "cmroux").status_code == 302
    assert ticket.reference in browser.get("/mes-demandes").text
    # The deactivated account still has her new address: hers keeps the old one (a conflict
    # reported, never two accounts with one address) until that account's data are erased.
    assert user_by_email(CLAIRE).id == claire.id
    admin_client.get(f"/admin/accounts/{fresh.id}/effacement")
    erased = admin_client.post(
        f"/admin/accounts/{fresh.id}/effacement",
        data={"confirm": "y", "csrf_token": admin_client.last_csrf},
    )
    assert erased.status_code == 302
    run = run_sync(cas_app)
    assert run.counts["deactivated"] == 0
    assert user_by_email(CLAIRE_NOW).id == claire.id
    assert user_by_email(CLAIRE_NOW).is_active_account is True


def test_a_login_of_someone_else_links_nothing(cas_app, cas, slapd, app_ctx, admin_client):
    claire, _ticket = _claire_left(cas_app, cas, slapd)
    # Karim's entry: refused, naming whose it is.
    refused = _relink(admin_client, claire, "kbenali")
    assert refused.status_code == 400 and "Karim Benali" in refused.text
    # Camille, never signed in, is neither Claire's name nor her address: a typo.
    camille = person("cdupont", "Camille Dupont", "c.dupont@umontpellier.fr", ["staff"])
    slapd.add_person("cdupont", camille)
    refused = _relink(admin_client, claire, "cdupont")
    assert refused.status_code == 400 and "Camille Dupont" in refused.text
    # No such login.
    assert _relink(admin_client, claire, "nobody").status_code == 400
    link = link_of(claire)
    assert (link.login, link.is_gone) == (None, True)
    assert user_by_email(CLAIRE).is_active_account is False
