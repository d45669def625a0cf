"""The session warning's server side (WCAG 2.2.1): how long a page may stay idle, and the
"Stay signed in" button's request, which renews the session and the forms' CSRF token."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from desk.auth.sessions import session_seconds
from tests.support.factories import make_user


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _keep(client, token: str):
    return client.post("/session/prolonger", headers={"X-CSRFToken": token})


@pytest.fixture
def short_limits(app):
    saved = app.config["PERMANENT_SESSION_LIFETIME"], app.config["WTF_CSRF_TIME_LIMIT"]
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(seconds=3)
    app.config["WTF_CSRF_TIME_LIMIT"] = 3
    yield
    app.config["PERMANENT_SESSION_LIFETIME"], app.config["WTF_CSRF_TIME_LIMIT"] = saved


def test_a_page_counts_the_idle_limit_less_a_minute_and_no_longer_than_its_token(app):
    with app.app_context():
        assert session_seconds() == 8 * 3600 - 60  # the cookie may be a minute old already
        app.config["WTF_CSRF_TIME_LIMIT"] = 3600
        try:
            assert session_seconds() == 3600
        finally:
            app.config["WTF_CSRF_TIME_LIMIT"] = 8 * 3600


def test_the_pages_of_a_signed_in_person_carry_the_warning(login, client, app_ctx):
    html = login(make_user()).get("/home").text
    dialog = re.search(r'<dialog class="session-warning"[^>]*>', html).group(0)
    assert f'data-seconds="{8 * 3600 - 60}"' in dialog
    assert 'data-url="/session/prolonger"' in dialog
    assert "session-warning" not in client.get("/login").text  # nobody to warn


def test_staying_signed_in_renews_the_session_and_the_forms_token(login, app_ctx, short_limits):
    c = login(make_user())
    first = _token(c.get("/account/password").text)
    time.sleep(2)
    answer = _keep(c, first)
    assert answer.status_code == 200, answer.text[:300]
    assert any(h.startswith("session=") for h in answer.headers.getlist("Set-Cookie"))
    renewed = answer.json["csrf_token"]
    time.sleep(2)
    # Four seconds after the page: its own token and an untouched session are past their
    # three; the renewed ones are not.
    assert _keep(c, first).status_code == 400
    assert _keep(c, renewed).status_code == 200


def test_without_a_session_nothing_is_renewed(client, app_ctx):
    client.get("/login")
    answer = _keep(client, client.last_csrf)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
