"""Two directory entries with the same login (uid): a feed's mistake, or a merge of two
directories. Neither the sync nor a sign-in may guess which person a login is."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db
from desk.identity.models import CasSession, DirectoryLink
from tests.identity.conftest import cas_sign_in, new_browser, run_sync, user_by_email
from tests.support.slapd import PEOPLE, PEOPLE_DN, person

CLAIRE = "claire.martin@umontpellier.fr"
CAROLE = "carole.martin@umontpellier.fr"


def _namesake(slapd, *, claire_rewritten: bool = False) -> None:
    """Carole's entry, with Claire's uid (and its own DN and address). `claire_rewritten`:
    Claire's entry is then written again by the feed, which changes which of the two the
    directory lists first (slapd lists in its own order): the tests that depend on it run
    both ways."""
    attrs = person("cmartin", "Carole Martin", CAROLE, ["staff", "employee"])
    with slapd.admin() as conn:
        assert conn.add(f"cn=Carole Martin,{PEOPLE_DN}", attributes=attrs), conn.result
    if claire_rewritten:
        slapd.delete("cmartin")
        slapd.add_person("cmartin", PEOPLE["cmartin"])


def _claire_signed_in(cas_app, cas) -> User:
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    return user_by_email(CLAIRE)


def _warned(caplog, *words: str) -> bool:
    return any(
        all(w in r.getMessage() for w in words)
        for r in caplog.records
        if r.levelno == logging.WARNING
    )


def test_the_sync_gives_no_account_the_other_entry_of_its_login(
    cas_app, cas, slapd, app_ctx, caplog
):
    claire = _claire_signed_in(cas_app, cas)
    _namesake(slapd)
    with caplog.at_level(logging.WARNING, logger="desk.identity.sync"):
        run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["shared_login"] == 1
    assert _warned(caplog, "cmartin", "2 directory entries")
    claire = user_by_email(CLAIRE)
    assert claire.display_name == "Claire Martin" and claire.is_active_account
    assert user_by_email(CAROLE) is None


@pytest.mark.parametrize("claire_rewritten", [False, True])
def test_without_entry_ids_the_sync_follows_the_entry_not_the_login(
    cas_app, cas, slapd, app_ctx, claire_rewritten
):
    """With no entry id to go by (DESK_LDAP_ENTRY_ID_ATTRIBUTE unset or not given by the
    server), links follow their entry by login: the login's last entry listed won, and
    Claire's account took Carole's name and address."""
    claire = _claire_signed_in(cas_app, cas)
    cas_app.config["LDAP_ENTRY_ID_ATTRIBUTE"] = ""
    _namesake(slapd, claire_rewritten=claire_rewritten)
    run = run_sync(cas_app)
    assert run.status == "ok" and run.counts["shared_login"] == 1
    assert user_by_email(CAROLE) is None
    claire = user_by_email(CLAIRE)
    assert claire.display_name == "Claire Martin" and claire.is_active_account
    assert db.session.get(DirectoryLink, claire.id).dn == f"uid=cmartin,{PEOPLE_DN}"


@pytest.mark.parametrize("claire_rewritten", [False, True])
def test_a_link_found_by_neither_entry_is_left_as_it_is(
    cas_app, cas, slapd, app_ctx, claire_rewritten
):
    """Its entry moved (another DN) and its login is on two entries: not a leaver."""
    claire = _claire_signed_in(cas_app, cas)
    cas_app.config["LDAP_ENTRY_ID_ATTRIBUTE"] = ""
    link = db.session.get(DirectoryLink, claire.id)
    link.dn = "uid=cmartin,ou=staff,dc=umontpellier,dc=fr"
    db.session.commit()
    _namesake(slapd, claire_rewritten=claire_rewritten)
    run = run_sync(cas_app)
    assert run.counts["deactivated"] == 0 and run.counts["shared_login"] == 1
    claire = user_by_email(CLAIRE)
    assert claire.is_active_account and claire.display_name == "Claire Martin"
    assert user_by_email(CAROLE) is None
    assert db.session.get(DirectoryLink, claire.id).login == "cmartin"


def test_an_account_is_not_linked_on_the_address_of_an_entry_whose_login_is_shared(
    cas_app, slapd, app_ctx
):
    from tests.support.factories import make_user

    old = make_user(CAROLE, name="Carole (imported)", is_staff=False)
    old.password_hash = ""
    db.session.commit()
    _namesake(slapd)
    run = run_sync(cas_app)
    assert run.counts["linked"] == 0 and run.counts["shared_login"] == 1
    assert db.session.get(DirectoryLink, old.id) is None


def test_a_sign_in_with_a_login_two_entries_share_is_refused(cas_app, cas, slapd, app_ctx, caplog):
    """The CAS says "cmartin"; the directory has two of them. Claire, linked, got "your
    account is not in the university directory"; a newcomer the same. Now both get a page
    that says what is wrong, nobody is signed in, and no account is made or changed."""
    claire = _claire_signed_in(cas_app, cas)
    _namesake(slapd)
    users = db.session.scalar(select(func.count(User.id)))
    browser = new_browser(cas_app)
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with caplog.at_level(logging.WARNING, logger="desk.identity.services"):
        response = cas_sign_in(browser, cas, "cmartin")
    assert response.status_code == 403
    assert "several entries of the university directory" in response.text
    assert browser.get("/home").status_code == 302  # not signed in
    assert _warned(caplog, "cmartin", "2 directory entries")
    assert db.session.scalar(select(func.count(User.id))) == users
    assert (
        db.session.scalar(select(func.count(CasSession.ticket)).filter_by(user_id=claire.id)) == 1
    )
    assert user_by_email(CLAIRE).display_name == "Claire Martin"


def test_an_admin_cannot_link_an_account_to_a_login_two_entries_share(
    cas_app, slapd, admin_client, app_ctx, caplog
):
    """The admin's link said "No directory entry has the login", which sent them looking for
    a typo: the login is there, twice. It says so, and links nothing (nor a relink of an
    account whose link the sync ended)."""
    from desk.auth.models import Role
    from tests.support.factories import make_user

    _namesake(slapd)
    local = make_user(CLAIRE, role=Role.TECHNICIAN, name="Claire (local)")
    ended = make_user("claire.old@umontpellier.fr", name="Claire Martin", is_staff=True)
    db.session.add(DirectoryLink(user=ended, login=None, former_login="cmartin", dn="", applied={}))
    db.session.commit()
    for user in (local, ended):
        url = f"/admin/accounts/{user.id}"
        with caplog.at_level(logging.WARNING, logger="desk.identity.linking"):
            refused = admin_client.submit(
                url + "/cas-link",
                {"cas_login": "cmartin"},
                page=url,
                headers={"Accept-Language": "en"},
            )
        assert refused.status_code == 400
        assert 'id="cas_login-error"' in refused.text
        assert "Several directory entries carry the login “cmartin”" in refused.text
        assert "No directory entry" not in refused.text
        assert _warned(caplog, "cmartin", "2 directory entries")
        caplog.clear()
    db.session.expire_all()
    assert db.session.get(DirectoryLink, local.id) is None
    assert db.session.get(DirectoryLink, ended.id).login is None
