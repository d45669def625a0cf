"""Sessions that end: logout, a password change and deactivation revoke every cookie."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from desk.auth.models import User
from desk.auth.services import deactivate_user
from desk.extensions import db
from tests.support.factories import make_user


def _remembered(client, user):
    response = client.submit(
        "/login", {"email": user.email, "password": "password", "remember": "y"}
    )
    assert response.status_code == 302
    return client.get_cookie("remember_token").value


def _fresh_client(app, **cookies):
    from tests.conftest import Client

    app.test_client_class = Client
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def _logout(client):
    client.get("/home")
    return client.post("/logout", data={"csrf_token": client.last_csrf})


def test_a_copied_session_cookie_is_dead_after_logout(app, login, app_ctx):
    user = make_user()
    c = login(user)
    stolen = c.get_cookie("session").value
    assert _fresh_client(app, session=stolen).get("/home").status_code == 200
    assert _logout(c).status_code == 302
    assert _fresh_client(app, session=stolen).get("/home").status_code == 302


def test_the_remember_me_cookie_opens_home_until_logout(app, client, app_ctx):
    user = make_user()
    token = _remembered(client, user)
    assert _fresh_client(app, remember_token=token).get("/home").status_code == 200
    _logout(client)
    response = _fresh_client(app, remember_token=token).get("/home")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_logout_ends_the_sessions_on_other_devices_too(app, login, app_ctx):
    user = make_user()
    laptop, phone = login(user), login(user)
    _logout(laptop)
    assert phone.get("/home").status_code == 302


def test_the_remember_me_cookie_differs_on_every_login(app, client, app_ctx):
    user = make_user()
    first = _remembered(client, user)
    second = _remembered(_fresh_client(app), user)
    assert first != second


def test_remember_me_cookie_is_samesite_and_httponly(client, app_ctx):
    user = make_user()
    response = client.submit(
        "/login", {"email": user.email, "password": "password", "remember": "y"}
    )
    cookie = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")
    )
    assert "SameSite=Lax" in cookie
    assert "HttpOnly" in cookie


def test_the_session_cookie_lasts_the_configured_hours(app, client, app_ctx):
    user = make_user()
    response = client.login(user.email)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert app.config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=8)
    assert "Expires=" in cookie


@pytest.fixture
def short_lifetimes(app):
    saved = app.config["PERMANENT_SESSION_LIFETIME"], app.config["REMEMBER_COOKIE_DURATION"]
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(seconds=1)
    app.config["REMEMBER_COOKIE_DURATION"] = dt.timedelta(seconds=1)
    yield
    app.config["PERMANENT_SESSION_LIFETIME"], app.config["REMEMBER_COOKIE_DURATION"] = saved


def test_an_idle_session_and_an_old_remember_cookie_are_refused_by_the_server(
    app, client, app_ctx, short_lifetimes
):
    user = make_user()
    token = _remembered(client, user)
    stolen = client.get_cookie("session").value
    time.sleep(2.1)
    # The browser would have dropped them; a copy replayed later is refused all the same.
    assert _fresh_client(app, session=stolen).get("/home").status_code == 302
    assert _fresh_client(app, remember_token=token).get("/home").status_code == 302


def test_the_csrf_token_changes_at_login(client, app_ctx):
    user = make_user()
    client.get("/login")
    before = client.last_csrf
    client.post("/login", data={"email": user.email, "password": "password", "csrf_token": before})
    client.get("/home")
    assert client.last_csrf != before
    # The token known before login is no longer accepted.
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/home").status_code == 200


def test_deactivation_revokes_the_remember_me_cookie(app, client, app_ctx):
    user = make_user()
    admin = make_user(role="admin")
    token = _remembered(client, user)
    deactivate_user(db.session.get(User, user.id), actor=admin)
    db.session.commit()
    db.session.get(User, user.id).is_active_account = True  # even if reactivated later
    db.session.commit()
    assert _fresh_client(app, remember_token=token).get("/home").status_code == 302
    assert client.get("/home").status_code == 302
