"""The session cookie is signed again when it changes or once a minute, and still expires."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from desk.auth import cookie
from tests.support.factories import make_user


def _session_cookie(response) -> str | None:
    return next(
        (h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")), None
    )


def test_an_unchanged_session_is_not_sent_again_on_every_page(login, app_ctx):
    c = login(make_user())
    c.get("/home")  # whatever the first page after login adds to the session (its CSRF token)
    pages = [c.get("/home"), c.get("/catalogue"), c.get("/home")]
    assert [p.status_code for p in pages] == [200, 200, 200]
    assert [_session_cookie(p) for p in pages] == [None, None, None]


def test_a_session_signed_a_minute_ago_is_signed_again_with_a_later_expiry(
    login, app_ctx, monkeypatch
):
    c = login(make_user())
    c.get("/home")
    before = c.get_cookie("session")
    monkeypatch.setattr(cookie, "REFRESH", dt.timedelta(seconds=1))
    time.sleep(1.1)
    answer = c.get("/home")
    assert answer.status_code == 200 and _session_cookie(answer) is not None
    after = c.get_cookie("session")
    assert after.value != before.value and after.expires > before.expires
    assert _session_cookie(c.get("/home")) is None  # just signed: not again at once


def test_a_changed_session_is_always_sent(client, app_ctx):
    user = make_user()
    answer = client.submit("/login", {"email": user.email, "password": "password"})
    assert answer.status_code == 302 and _session_cookie(answer) is not None


@pytest.fixture
def one_second_sessions(app):
    saved = app.config["PERMANENT_SESSION_LIFETIME"]
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(seconds=1)
    yield
    app.config["PERMANENT_SESSION_LIFETIME"] = saved


def test_the_server_still_refuses_a_cookie_signed_longer_ago_than_the_lifetime(
    login, app_ctx, one_second_sessions
):
    c = login(make_user())
    assert c.get("/home").status_code == 200
    time.sleep(2.1)
    # within REFRESH the browser was not given a newer cookie: the old one is past its age
    answer = c.get("/home")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_forged_session_cookie_is_an_empty_session(app, app_ctx):
    other = app.test_client()
    other.set_cookie("session", "eyJfdXNlcl9pZCI6IjEifQ.forged.signature")
    answer = other.get("/home")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
