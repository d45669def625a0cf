"""Login, logout, CSRF, remember-me and the session (throttling: test_throttling.py)."""

from __future__ import annotations

from desk.auth.models import User
from desk.extensions import db
from tests.support.factories import make_user


def test_login_page_is_french_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'lang="fr"' in response.text
    assert "Se connecter" in response.text


def test_login_page_follows_accept_language(client):
    response = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert 'lang="en"' in response.text
    assert "Log in to the service centre" in response.text


def test_good_password_logs_in_and_home_shows_role(client, app_ctx):
    user = make_user("alice@umontpellier.fr", name="Alice")
    response = client.login("ALICE@umontpellier.fr ", "password")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")
    home = client.get("/home")
    assert "Alice" in home.text
    assert 'data-role="requester"' in home.text
    assert db.session.get(User, user.id).last_login_at is not None


def test_wrong_password_is_refused_with_message(client, app_ctx):
    make_user("bob@umontpellier.fr")
    response = client.login("bob@umontpellier.fr", "nope")
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect" in response.text
    assert client.get("/home").status_code == 302  # still anonymous


def test_unknown_user_gets_the_same_message(client, app_ctx):
    response = client.login("ghost@umontpellier.fr", "whatever")
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect" in response.text


def test_empty_fields_are_reported_next_to_each_field(client):
    response = client.submit("/login", {"email": "", "password": ""})
    assert response.status_code == 400
    assert 'id="email-error"' in response.text
    assert 'id="password-error"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_inactive_account_cannot_log_in(client, app_ctx):
    user = make_user("frank@umontpellier.fr", is_active=False)
    assert client.login(user.email, "password").status_code == 401


def test_login_without_csrf_token_is_refused(client, app_ctx):
    user = make_user("gina@umontpellier.fr")
    response = client.post("/login", data={"email": user.email, "password": "password"})
    assert response.status_code == 400
    assert "formulaire a expiré" in response.text
    assert client.get("/home").status_code == 302


def test_next_parameter_is_followed_only_on_this_site(client, app_ctx):
    user = make_user("hugo@umontpellier.fr")
    client.get("/login?next=https://evil.example/")
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": user.email, "password": "password", "csrf_token": client.last_csrf},
    )
    assert response.headers["Location"].endswith("/home")


def test_logout_needs_post_with_token(login, app_ctx):
    user = make_user()
    c = login(user)
    assert c.get("/logout").status_code == 405
    c.get("/home")
    response = c.post("/logout", data={"csrf_token": c.last_csrf})
    assert response.status_code == 302
    assert c.get("/home").status_code == 302


def test_remember_me_sets_a_cookie(client, app_ctx):
    user = make_user("ines@umontpellier.fr")
    client.submit("/login", {"email": user.email, "password": "password", "remember": "y"})
    assert client.get_cookie("remember_token") is not None


def test_expired_session_redirects_to_login_with_message(login, app_ctx):
    user = make_user()
    c = login(user)
    c.delete_cookie("session")
    response = c.get("/home")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_deactivated_user_is_logged_out_on_next_request(login, app_ctx):
    user = make_user()
    c = login(user)
    user.is_active_account = False
    db.session.commit()
    assert c.get("/home").status_code == 302


def test_too_long_entries_get_desk_s_message(client, app_ctx):
    # WTForms' own "Field cannot be longer than 254 characters." stood next to these fields.
    response = client.login("a" * 60 + "@" + "b" * 200 + ".fr", "p" * 257)
    assert response.status_code == 400
    for field, limit in (("email", 254), ("password", 256)):
        error = response.text.split(f'id="{field}-error"')[1].split("</ul>")[0]
        assert f"{limit} caractères au plus." in error and "Le champ" not in error, error
