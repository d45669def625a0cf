"""An old account known only by its address, when two directory entries have that address.

Made before directory sign-in was turned on (an import, `flask desk create-user`), a plain
requester account with no password is linked on its address: the directory vouches for it.
When two entries have the address, it is either person's: the sync linked it to whichever
entry the directory listed first, and a sign-in gave it to whoever came first, with the other
person's requests in it. Neither may guess: an administrator links it on its page.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db
from desk.identity.models import CasSession, DirectoryLink
from tests.identity.conftest import CAS_PASSWORD, cas_sign_in, new_browser, run_sync
from tests.support.factories import make_user
from tests.support.slapd import person

CLAIRE = "claire.martin@umontpellier.fr"


def _old_account_and_a_namesake(slapd, cas=None) -> User:
    """Claire's account from before sign-in, and a second entry (a student, Clara) with the
    same address (a feed's mistake, or a shared mailbox), listed after Claire's."""
    old = make_user(CLAIRE, name="Claire (imported)", is_staff=False)
    old.password_hash = ""
    db.session.commit()
    slapd.add_person("cmartin2", person("cmartin2", "Clara Martin", CLAIRE, ["student"]))
    if cas is not None:
        cas.add_account("cmartin2", CAS_PASSWORD, uid="cmartin2", mail=CLAIRE)
    return old


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_the_sync_links_no_account_by_an_address_two_entries_share(cas_app, slapd, app_ctx, caplog):
    old = _old_account_and_a_namesake(slapd)
    with caplog.at_level(logging.WARNING, logger="desk.identity.sync"):
        run = run_sync(cas_app)
    assert run.status == "ok"
    assert db.session.get(DirectoryLink, old.id) is None
    assert run.counts["shared_email"] == 1 and run.counts["linked"] == 0
    assert db.session.get(User, old.id).display_name == "Claire (imported)"  # untouched
    assert any(
        CLAIRE in r.getMessage() and "2 directory entries" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )
    # Once the directory is put right (the namesake's address corrected), it is linked.
    slapd.modify("cmartin2", mail="clara.martin@etu.umontpellier.fr")
    run = run_sync(cas_app)
    assert run.counts["linked"] == 1 and run.counts["shared_email"] == 0
    assert db.session.get(DirectoryLink, old.id).login == "cmartin"


def test_a_sign_in_takes_no_account_by_an_address_two_entries_share(
    cas_app, cas, slapd, admin_client, app_ctx, caplog
):
    old = _old_account_and_a_namesake(slapd, cas)
    before = _users()
    # Clara signs in first, then Claire: neither is given the account, nor a second one.
    for login in ("cmartin2", "cmartin"):
        browser = new_browser(cas_app)
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        with caplog.at_level(logging.WARNING, logger="desk.identity.services"):
            response = cas_sign_in(browser, cas, login)
        assert response.status_code == 403, login
        assert "An administrator must link your account" in response.text
        assert f"university login “{login}”" in response.text
        assert browser.get("/home").status_code == 302  # not signed in
        assert any(
            CLAIRE in r.getMessage() and "2 directory entries" in r.getMessage()
            for r in caplog.records
        )
        caplog.clear()
    db.session.expire_all()
    assert db.session.get(DirectoryLink, old.id) is None
    assert db.session.get(User, old.id).display_name == "Claire (imported)"
    assert _users() == before
    assert db.session.scalar(select(func.count(CasSession.ticket))) == 0

    # The administrator, asked by Claire, links it on the account's page.
    url = f"/admin/accounts/{old.id}"
    done = admin_client.submit(url + "/cas-link", {"cas_login": "cmartin"}, page=url)
    assert done.status_code == 302
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(CasSession.user_id)) == old.id
    assert db.session.get(User, old.id).display_name == "Claire Martin"
    # Clara still gets the page asking her to contact the helpdesk: nothing merged.
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin2").status_code == 403
    assert _users() == before
