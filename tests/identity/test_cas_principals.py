"""A CAS principal is the login it is, character for character. A CAS that delegates to
outside identity providers lets outsiders choose names: one that only looks like a university
login (a Kelvin sign for a K, an invisible character, full-width letters the directory's
matching rule folds) or that releases someone else's login as an attribute must not open, or
later be handed, that person's account."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db
from desk.identity.models import CasSession, DirectoryLink
from tests.identity.conftest import CAS_PASSWORD, cas_sign_in


def _sessions_of(email: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(CasSession.ticket)).join(User).where(User.email == email)
    )


@pytest.mark.parametrize(
    "principal",
    [
        "\u212abenali",  # KELVIN SIGN: NFC makes it "Kbenali"
        "kben\u200bali",  # a zero-width space, dropped by the text clean-up
        "kbenali\u00ad",  # a soft hyphen
        "\uff4b\uff42\uff45\uff4e\uff41\uff4c\uff49",  # full-width: LDAP's caseIgnoreMatch folds it
    ],
)
def test_a_lookalike_principal_is_not_the_university_login(
    cas_app, client, cas, app_ctx, principal
):
    assert cas_sign_in(type(client)(cas_app, cas_app.response_class), cas, "kbenali")
    cas.add_account(principal, CAS_PASSWORD, mail="someone@outside.example")
    response = cas_sign_in(client, cas, principal)
    assert response.status_code == 403, ascii(principal)
    assert client.get("/home").status_code == 302
    assert _sessions_of("tech.reseau@umontpellier.fr") == 1  # Karim's own sign-in only


def test_without_a_directory_the_login_is_the_principal_not_an_attribute(
    cas_app, client, cas, app_ctx
):
    """The CAS releases `uid` as an outside provider asserted it: it named Nina's login, so
    the outsider's account took her login, and Nina, signing in later, landed in it."""
    cas_app.config["LDAP_URL"] = ""
    cas.add_account(
        "mallory", CAS_PASSWORD, uid="nmoreau", mail="mallory@outside.example", displayName="M"
    )
    assert cas_sign_in(client, cas, "mallory").status_code == 302
    mallory = db.session.scalar(select(User).filter_by(email="mallory@outside.example"))
    assert db.session.get(DirectoryLink, mallory.id).login == "mallory"
    cas.add_account("nmoreau", CAS_PASSWORD, uid="nmoreau", mail="nina.moreau@umontpellier.fr")
    nina = type(client)(cas_app, cas_app.response_class)
    assert cas_sign_in(nina, cas, "nmoreau").status_code == 302
    assert _sessions_of("nina.moreau@umontpellier.fr") == 1
    assert _sessions_of("mallory@outside.example") == 1
