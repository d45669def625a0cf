"""Which existing account a first CAS sign-in may take by its e-mail, and an administrator's
explicit link. A CAS that delegates to outside identity providers passes on the address they
assert: an e-mail match must never hand over an administrator's (or any worth-taking) account.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from desk.auth.models import Role, User
from desk.extensions import db
from desk.identity.directory import get_directory
from desk.identity.models import CasSession, DirectoryLink
from desk.identity.sync import sync_directory
from tests.identity.conftest import CAS_PASSWORD, cas_sign_in
from tests.support.factories import make_user

ENGLISH = {"Accept-Language": "en"}
CLAIRE = "claire.martin@umontpellier.fr"


def _local(role=Role.REQUESTER, *, password: bool = True, break_glass: bool = False) -> User:
    user = make_user(CLAIRE, role=role, name="Claire (local)", is_staff=False)
    if not password:
        user.password_hash = ""
    user.is_break_glass = break_glass
    db.session.commit()
    return user


def _english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.parametrize(
    "kind",
    ["break-glass admin", "admin without password", "technician", "requester with a password"],
)
def test_an_account_worth_taking_is_not_linked_on_its_email(cas_app, client, cas, app_ctx, kind):
    local = {
        "break-glass admin": lambda: _local(Role.ADMIN, break_glass=True),
        "admin without password": lambda: _local(Role.ADMIN, password=False),
        "technician": lambda: _local(Role.TECHNICIAN, password=False),
        "requester with a password": lambda: _local(),
    }[kind]()
    response = cas_sign_in(_english(client), cas, "cmartin")
    assert response.status_code == 403, kind
    assert "An administrator must link your account" in response.text
    assert "university login “cmartin”" in response.text
    assert 'lang="en"' in response.text
    assert client.get("/home").status_code == 302  # not signed in
    db.session.expire_all()
    assert db.session.get(DirectoryLink, local.id) is None
    assert db.session.scalar(select(func.count(CasSession.ticket))) == 0
    assert db.session.get(User, local.id).display_name == "Claire (local)"  # untouched


def test_a_requester_account_without_a_password_is_still_linked(cas_app, client, cas, app_ctx):
    """Made before sign-in was turned on (a CLI or reference-file import): nothing to take
    that the directory's own address does not already vouch for."""
    local = _local(password=False)
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    db.session.expire_all()
    assert db.session.get(DirectoryLink, local.id).login == "cmartin"
    assert db.session.get(User, local.id).display_name == "Claire Martin"


def test_without_a_directory_no_existing_account_is_taken(cas_app, client, cas, app_ctx):
    """Without a directory the address is what the CAS released, which an outside identity
    provider may have asserted: even a plain requester account waits for an administrator."""
    cas_app.config["LDAP_URL"] = ""
    local = _local(password=False)
    cas.add_account("outsider", CAS_PASSWORD, mail=CLAIRE, displayName="Mallory")
    response = cas_sign_in(_english(client), cas, "outsider")
    assert response.status_code == 403
    assert "university login “outsider”" in response.text
    db.session.expire_all()
    assert db.session.get(DirectoryLink, local.id) is None


def test_an_admin_links_the_account_from_its_page(cas_app, cas, admin_client, app_ctx, caplog):
    local = _local(Role.ADMIN, break_glass=True)
    url = f"/admin/accounts/{local.id}"
    page = admin_client.get(url, headers=ENGLISH)
    assert "data-sso" in page.text and 'name="cas_login"' in page.text
    # No token, no link.
    assert admin_client.post(url + "/cas-link", data={"cas_login": "cmartin"}).status_code == 400
    # Another person's login (a typo): their entry has another address.
    wrong = admin_client.submit(url + "/cas-link", {"cas_login": "kbenali"}, page=url)
    assert wrong.status_code == 400
    assert 'id="cas_login-error"' in wrong.text
    for login in ("nobody", "kben\u200bali", ""):
        refused = admin_client.submit(url + "/cas-link", {"cas_login": login}, page=url)
        assert refused.status_code == 400, login
    db.session.expire_all()
    assert db.session.get(DirectoryLink, local.id) is None
    with caplog.at_level(logging.INFO, logger="desk.audit"):
        done = admin_client.submit(url + "/cas-link", {"cas_login": "CMartin"}, page=url)
    assert done.status_code == 302
    assert any(
        r.name == "desk.audit"
        and getattr(r, "action", "") == "user.cas_linked"
        and getattr(r, "login", "") == "cmartin"
        and r.actor == "root@umontpellier.fr"
        for r in caplog.records
    )
    db.session.expire_all()
    link = db.session.get(DirectoryLink, local.id)
    assert (link.login, link.dn) == ("cmartin", "uid=cmartin,ou=people,dc=umontpellier,dc=fr")
    # Linked once: the page says so and offers no second link.
    page = admin_client.get(url, headers=ENGLISH)
    assert "with the login “cmartin”" in page.text and 'name="cas_login"' not in page.text
    again = admin_client.submit(url + "/cas-link", {"cas_login": "cmartin"}, page=url)
    assert again.status_code == 400
    # Claire now signs in to that account; the admin role she holds in desk stays.
    browser = type(admin_client)(cas_app, cas_app.response_class)
    assert cas_sign_in(browser, cas, "cmartin").status_code == 302
    db.session.expire_all()
    claire = db.session.get(User, local.id)
    assert claire.role is Role.ADMIN and claire.display_name == "Claire Martin"
    assert db.session.scalar(select(CasSession.user_id)) == local.id


def test_a_login_linked_to_another_account_is_refused(cas_app, cas, admin_client, app_ctx):
    assert cas_sign_in(type(admin_client)(cas_app, cas_app.response_class), cas, "kbenali")
    other = make_user("karim.local@umontpellier.fr", role=Role.TECHNICIAN)
    cas_app.config["LDAP_URL"] = ""  # no directory to compare the e-mail with
    url = f"/admin/accounts/{other.id}"
    refused = admin_client.submit(url + "/cas-link", {"cas_login": "kbenali"}, page=url)
    assert refused.status_code == 400
    assert "tech.reseau@umontpellier.fr" in refused.text  # whose it is
    db.session.expire_all()
    assert db.session.get(DirectoryLink, other.id) is None


def test_the_sync_links_no_account_worth_taking(cas_app, app_ctx):
    admin = _local(Role.ADMIN, break_glass=True)
    requester = make_user("leo.petit@etu.umontpellier.fr", password="x", is_staff=False)
    requester.password_hash = ""
    db.session.commit()
    run = sync_directory(get_directory(cas_app.config))
    db.session.commit()
    assert run.counts["linked"] == 1 and run.counts["not_linked"] == 1
    db.session.expire_all()
    assert db.session.get(DirectoryLink, admin.id) is None
    assert db.session.get(DirectoryLink, requester.id).login == "lpetit"
    assert db.session.get(User, admin.id).display_name == "Claire (local)"
