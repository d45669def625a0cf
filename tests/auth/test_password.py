"""Changing one's password: validation next to the fields, and other sessions end."""

from __future__ import annotations

from desk.auth.models import User
from desk.extensions import db
from tests.support.factories import make_user

URL = "/account/password"


def _change(client, current="password", new="a-new-passphrase", confirm=None):
    data = {"current_password": current, "new_password": new, "confirm": confirm or new}
    return client.submit(URL, data)


def test_the_page_is_in_french_with_labelled_fields(login, app_ctx):
    c = login(make_user())
    page = c.get(URL)
    assert page.status_code == 200
    assert "Changer mon mot de passe" in page.text
    assert 'for="current_password"' in page.text


def test_a_new_password_works_and_other_sessions_end(app, login, client, app_ctx):
    user = make_user()
    here, elsewhere = login(user), login(user)
    response = _change(here)
    assert response.status_code == 302
    assert here.get("/home").status_code == 200  # this browser stays logged in
    assert elsewhere.get("/home").status_code == 302
    assert client.login(user.email, "password").status_code == 401
    assert client.login(user.email, "a-new-passphrase").status_code == 302


def test_a_wrong_current_password_is_refused_next_to_its_field(login, app_ctx):
    user = make_user()
    c = login(user)
    response = _change(c, current="wrong")
    assert response.status_code == 400
    assert 'id="current_password-error"' in response.text
    assert "mot de passe actuel est incorrect" in response.text
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("password")
    assert c.get("/home").status_code == 200


def test_short_or_mismatched_new_passwords_are_refused(login, app_ctx):
    user = make_user()
    c = login(user)
    short = _change(c, new="short")
    assert short.status_code == 400
    assert 'id="new_password-error"' in short.text
    mismatch = _change(c, new="a-new-passphrase", confirm="another-passphrase")
    assert mismatch.status_code == 400
    assert 'id="confirm-error"' in mismatch.text
    same = _change(c, new="password")
    assert same.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == 0


def test_without_a_token_nothing_changes(login, app_ctx):
    user = make_user()
    c = login(user)
    data = {"current_password": "password", "new_password": "x" * 12, "confirm": "x" * 12}
    assert c.post(URL, data=data).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("password")


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_too_long_current_password_gets_desk_s_message(login, app_ctx):
    c = login(make_user())
    response = _change(c, current="p" * 257)
    assert response.status_code == 400
    error = response.text.split('id="current_password-error"')[1].split("</")[0]
    assert "256 caractères au plus." in error and "Le champ" not in error, error
