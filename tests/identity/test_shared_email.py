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
    # Clara signs in to an account of her own, never Claire's (see the test below).
    clara = new_browser(cas_app)
    assert cas_sign_in(clara, cas, "cmartin2").status_code == 302
    assert _signed_in_account(clara) != old.id
    assert _users() == before + 1


def _signed_in_account(browser) -> int:
    """The account the browser's desk session is signed in to."""
    db.session.expire_all()
    assert browser.get("/home").status_code == 200  # signed in
    with browser.session_transaction() as session:
        return int(session["_user_id"].split(":")[0])  # "id:session version:…"


def test_the_other_person_of_a_shared_address_signs_in_to_an_account_of_their_own(
    cas_app, cas, slapd, admin_client, app_ctx, caplog
):
    """Once the administrator linked Claire's account, Clara, whose entry has the same
    address, got 'Your account cannot be opened automatically ... the IT helpdesk will put it
    right' at every sign-in, which nobody at the helpdesk could do but have the directory
    corrected. She now signs in to an account of her own (never Claire's): its address a
    stand-in no mail server takes, the difference shown as a conflict, until the directory
    gives her an address of her own, which the sync then puts on her account."""
    from desk.identity.models import DirectoryConflict

    old = _old_account_and_a_namesake(slapd, cas)
    url = f"/admin/accounts/{old.id}"
    done = admin_client.submit(url + "/cas-link", {"cas_login": "cmartin"}, page=url)
    assert done.status_code == 302
    before = _users()

    clara_browser = new_browser(cas_app)
    with caplog.at_level(logging.WARNING, logger="desk.identity.services"):
        assert cas_sign_in(clara_browser, cas, "cmartin2").status_code == 302
    clara_id = _signed_in_account(clara_browser)
    assert clara_id != old.id and _users() == before + 1
    clara = db.session.get(User, clara_id)
    assert (clara.display_name, clara.is_staff) == ("Clara Martin", False)
    assert clara.email.endswith("@desk.invalid")
    assert db.session.get(DirectoryLink, clara.id).login == "cmartin2"
    assert any(
        CLAIRE in r.getMessage() and "2 directory entries" in r.getMessage() for r in caplog.records
    )
    conflict = db.session.scalar(select(DirectoryConflict).filter_by(user_id=clara.id))
    assert (conflict.field, conflict.directory_value) == ("email", CLAIRE)

    # Claire still signs in to her own account, untouched; Clara again to hers.
    claire_browser = new_browser(cas_app)
    assert cas_sign_in(claire_browser, cas, "cmartin").status_code == 302
    assert _signed_in_account(claire_browser) == old.id
    again = new_browser(cas_app)
    assert cas_sign_in(again, cas, "cmartin2").status_code == 302
    assert _signed_in_account(again) == clara.id and _users() == before + 1

    # The sync keeps both apart and reports the difference.
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["conflicts"] == 1
    assert db.session.get(User, old.id).email == CLAIRE
    assert db.session.get(User, clara.id).email.endswith("@desk.invalid")
    # The directory put right: Clara's account gets her address, the conflict goes.
    slapd.modify("cmartin2", mail="clara.martin@etu.umontpellier.fr")
    run = run_sync(cas_app)
    assert run.counts["conflicts"] == 0
    assert db.session.get(User, clara.id).email == "clara.martin@etu.umontpellier.fr"
    assert db.session.get(User, old.id).email == CLAIRE


def test_a_second_address_of_the_entry_is_taken_before_a_stand_in(cas_app, cas, slapd, app_ctx):
    """No account from before: Claire signs in first and has the address; Clara's entry has
    it too, and an address of her own: her new account has hers."""
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    slapd.add_person("cmartin2", person("cmartin2", "Clara Martin", CLAIRE, ["student"]))
    slapd.modify("cmartin2", mail=[CLAIRE, "clara.martin@etu.umontpellier.fr"])
    cas.add_account("cmartin2", CAS_PASSWORD, uid="cmartin2", mail=CLAIRE)
    browser = new_browser(cas_app)
    assert cas_sign_in(browser, cas, "cmartin2").status_code == 302
    clara = db.session.get(User, _signed_in_account(browser))
    assert (clara.email, clara.display_name) == ("clara.martin@etu.umontpellier.fr", "Clara Martin")
    assert db.session.scalar(select(User.display_name).filter_by(email=CLAIRE)) == "Claire Martin"
