"""Switching the CAS on ends the password sessions opened before (remember-me ones too):
the CAS owns sign-in from then on. Break-glass and CAS sessions are not concerned."""

from __future__ import annotations

from desk.auth.models import Role
from desk.extensions import db
from tests.identity.conftest import cas_sign_in, new_browser
from tests.support.factories import make_user

ACCOUNT = "/notifications"  # a page for the signed-in only


def _signed_in(browser) -> bool:
    response = browser.get(ACCOUNT)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def test_a_password_session_from_before_the_cas_ends_at_its_next_request(
    cas_app, cas, slapd, admin_client, app_ctx
):
    # Never linked to the directory: the sync would never deactivate them.
    make_user("visiting.scholar@example.org")
    db.session.commit()
    cas_app.config["AUTH"] = "local"  # passwords on, before the CAS
    browser = new_browser(cas_app)
    response = browser.submit(
        "/login",
        {"email": "visiting.scholar@example.org", "password": "password", "remember": "y"},
    )
    assert response.status_code == 302
    remembered = new_browser(cas_app)  # the same login, its remember-me cookie alone
    cookie = browser.get_cookie("remember_token")
    assert cookie is not None
    remembered.set_cookie("remember_token", cookie.value)
    assert _signed_in(browser) and _signed_in(remembered)

    cas_app.config["AUTH"] = "cas"  # the CAS now owns sign-in
    cas_browser = new_browser(cas_app)
    assert cas_sign_in(cas_browser, cas, "cmartin").status_code == 302
    for old in (browser, remembered):
        response = old.get(ACCOUNT)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
        login = old.get(response.headers["Location"])
        assert 'href="/cas/login' in login.text  # the CAS sign-in, no password form
        assert not _signed_in(old)
    # The break-glass administrator's session and the CAS one stay.
    assert _signed_in(admin_client)
    assert _signed_in(cas_browser)


def test_with_passwords_on_a_password_session_is_one(cas_app, app_ctx):
    cas_app.config["AUTH"] = "local"
    make_user("tech@umontpellier.fr", role=Role.TECHNICIAN)
    db.session.commit()
    browser = new_browser(cas_app)
    response = browser.submit("/login", {"email": "tech@umontpellier.fr", "password": "password"})
    assert response.status_code == 302
    assert _signed_in(browser)
