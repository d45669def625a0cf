"""An administrator links an account to a login whose directory entry has no e-mail address
(a mailbox the university has not made yet, a guest without one). The page said "No
directory entry has the login", which sent the administrator looking for a typo in a login
that was right. The entry is there: the account's name vouches for it instead of the address
(desk.identity.linking.vouch_for_link), and a name that differs is refused with what is
missing."""

from __future__ import annotations

import pytest

from desk.auth.models import Role, User
from desk.extensions import db
from desk.identity.models import CasSession, DirectoryLink
from tests.identity.conftest import cas_sign_in, new_browser
from tests.support.factories import make_user

ENGLISH = {"Accept-Language": "en"}
FRENCH = {"Accept-Language": "fr"}
LOCAL = "claire.perso@example.org"


def _link(admin_client, user: User, login: str, headers: dict):
    url = f"/admin/accounts/{user.id}"
    return admin_client.submit(url + "/cas-link", {"cas_login": login}, page=url, headers=headers)


@pytest.fixture
def no_mail(slapd):
    """Claire's entry has lost its address: the HR feed wrote it before her mailbox."""
    slapd.modify("cmartin", mail=None)


def test_an_entry_without_an_address_is_not_called_missing(
    cas_app, slapd, admin_client, app_ctx, no_mail
):
    local = make_user(LOCAL, role=Role.TECHNICIAN, name="C. Martin (local)")
    db.session.commit()
    refused = _link(admin_client, local, "cmartin", ENGLISH)
    assert refused.status_code == 400
    assert 'id="cas_login-error"' in refused.text
    assert "No directory entry" not in refused.text
    assert (
        "The directory entry of “cmartin” exists but has no e-mail address to compare with "
        "this account&#39;s, and its name, Claire Martin, is not this account&#39;s"
    ) in refused.text
    french = _link(admin_client, local, "cmartin", FRENCH)
    assert french.status_code == 400 and 'lang="fr"' in french.text
    assert "Aucune fiche" not in french.text and 'id="cas_login-error"' in french.text
    # A login nobody has still says so.
    nobody = _link(admin_client, local, "nobody", ENGLISH)
    assert "No directory entry has the login “nobody”" in nobody.text
    db.session.expire_all()
    assert db.session.get(DirectoryLink, local.id) is None


def test_the_same_name_links_an_entry_without_an_address(
    cas_app, cas, slapd, admin_client, app_ctx, no_mail
):
    """The link needs no address: Claire signs in to her account, which keeps its own."""
    local = make_user(LOCAL, role=Role.TECHNICIAN, name=" claire MARTIN ")
    db.session.commit()
    done = _link(admin_client, local, "cmartin", ENGLISH)
    assert done.status_code == 302
    db.session.expire_all()
    link = db.session.get(DirectoryLink, local.id)
    assert (link.login, link.dn) == ("cmartin", "uid=cmartin,ou=people,dc=umontpellier,dc=fr")
    assert link.entry_id == slapd.entry_uuid("cmartin")
    assert cas_sign_in(new_browser(cas_app), cas, "cmartin").status_code == 302
    db.session.expire_all()
    claire = db.session.get(User, local.id)
    assert claire.email == LOCAL and claire.display_name == "Claire Martin"
    assert claire.role is Role.TECHNICIAN
    assert db.session.query(CasSession).filter_by(user_id=local.id).count() == 1


def test_an_entry_with_another_address_is_still_a_typo(cas_app, slapd, admin_client, app_ctx):
    """The same name is no excuse when the entry has an address, and it is not the account's."""
    local = make_user(LOCAL, role=Role.TECHNICIAN, name="Claire Martin")
    db.session.commit()
    refused = _link(admin_client, local, "cmartin", ENGLISH)
    assert refused.status_code == 400
    assert "has the address claire.martin@umontpellier.fr, not this account" in refused.text
    db.session.expire_all()
    assert db.session.get(DirectoryLink, local.id) is None


def test_a_relink_to_an_entry_without_an_address_says_what_it_is(
    cas_app, slapd, admin_client, app_ctx, no_mail
):
    """An account whose link the sync ended, given to an entry without an address: not the
    account's name, so refused, naming the entry and its missing address, no empty "()"."""
    ended = make_user("someone.old@umontpellier.fr", name="Someone Else", is_staff=True)
    db.session.add(DirectoryLink(user=ended, login=None, former_login="old", dn="", applied={}))
    db.session.commit()
    refused = _link(admin_client, ended, "cmartin", ENGLISH)
    assert refused.status_code == 400
    assert (
        "The directory entry of “cmartin” is Claire Martin, without an e-mail address, and "
        "not this account&#39;s name"
    ) in refused.text
    assert "()" not in refused.text and "No directory entry" not in refused.text
    db.session.expire_all()
    assert db.session.get(DirectoryLink, ended.id).login is None
