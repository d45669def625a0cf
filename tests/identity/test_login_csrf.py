"""Login CSRF through the CAS callback: a service ticket of someone else's CAS account, sent to
a browser that did not ask for it, signs nobody in until its person confirms; a signed-in
browser is never switched to another account without being asked. The nonce desk puts in the
service URL of the logins it starts is what tells them apart."""

from __future__ import annotations

import re
import urllib.parse

import pytest
from sqlalchemy import select

from desk.extensions import db
from desk.identity.handoff import PENDING_KEY, PENDING_SECONDS
from desk.identity.models import CasSession
from tests.identity.conftest import callback_path, cas_sign_in, cas_ticket, desk_service
from tests.support.cas_server import logout_request
from tests.support.live_server import new_page

SERVICE = "http://localhost/cas/callback"
# The texts checked are the English ones (the French are the translators').
EN = {"Accept-Language": "en"}


def _forged(cas, client, login: str = "kbenali", service: str = SERVICE):
    """What an attacker sends: a ticket of their own account, for desk's service URL."""
    return client.get(callback_path(service, cas_ticket(cas, service, login)))


def _confirm(client, answer: str = "confirm"):
    page = client.get("/cas/confirmation")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/cas/confirmation", data={"csrf_token": token, "answer": answer})


def _home(client) -> str:
    response = client.get("/home")
    return response.text if response.status_code == 200 else ""


def _sessions() -> list[CasSession]:
    db.session.expire_all()
    return list(db.session.scalars(select(CasSession)))


def test_a_forged_callback_with_a_valid_ticket_signs_nobody_in(cas_app, client, cas, app_ctx):
    # The attacker may even put a state of their own (one desk gave them) in the service URL.
    attacker = type(client)(cas_app, cas_app.response_class)
    their_service = desk_service(attacker, cas)
    for service in (SERVICE, their_service, SERVICE + "?state=" + "A" * 22):
        victim = type(client)(cas_app, cas_app.response_class)
        response = _forged(cas, victim, service=service)
        assert response.status_code == 302
        assert response.headers["Location"] == "/cas/confirmation"
        assert victim.get("/home").status_code == 302  # not signed in
        page = victim.get("/cas/confirmation", headers=EN)
        assert "Sign in to the service centre as Karim Benali (kbenali)?" in page.text
        assert '<h1 id="cas-confirm-title" tabindex="-1" autofocus>' in page.text
    assert _sessions() == []  # no desk session was opened with the ticket


def test_the_confirmation_signs_in_and_single_logout_still_ends_it(cas_app, client, cas, app_ctx):
    response = _forged(cas, client, service=SERVICE + "?next=%2Fpreferences")
    assert response.headers["Location"] == "/cas/confirmation"
    no_token = client.post("/cas/confirmation", data={"answer": "confirm"})
    assert no_token.status_code == 400 and client.get("/home").status_code == 302
    confirmed = _confirm(client)
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/preferences"
    assert "Karim Benali" in _home(client)
    [opened] = _sessions()
    with client.session_transaction() as session:
        assert session["cas_ticket"] == opened.ticket and PENDING_KEY not in session
    outsider = type(client)(cas_app, cas_app.response_class)
    outsider.post("/cas/callback", data={"logoutRequest": logout_request(opened.ticket)})
    assert client.get("/home").status_code == 302


def test_this_is_not_me_signs_nobody_in(cas_app, client, cas, app_ctx):
    _forged(cas, client)
    declined = _confirm(client, "decline")
    assert declined.status_code == 302 and declined.headers["Location"] == "/login"
    assert client.get("/home").status_code == 302
    # The identity is gone: going back to the page asks to sign in again.
    again = client.get("/cas/confirmation")
    assert again.status_code == 302 and again.headers["Location"] == "/login"
    assert _sessions() == []


def test_a_stale_pending_identity_expires(cas_app, client, cas, app_ctx):
    _forged(cas, client)
    page = client.get("/cas/confirmation")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    with client.session_transaction() as session:
        session[PENDING_KEY] = {**session[PENDING_KEY], "at": session[PENDING_KEY]["at"] - 301}
    assert PENDING_SECONDS == 300
    late = client.post("/cas/confirmation", data={"csrf_token": token, "answer": "confirm"})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert client.get("/home").status_code == 302
    # Said in the language of the late POST's request (French: it asked for none).
    assert "Cette connexion a expiré" in client.get("/login").text
    assert _sessions() == []


def test_the_nonce_is_single_use(cas_app, client, cas, app_ctx):
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    service = desk_service(client, cas)  # a login started by this browser: one nonce
    # Its first return is for another account: asked, not switched; the nonce is spent.
    other = client.get(callback_path(service, cas_ticket(cas, service, "kbenali")))
    assert other.headers["Location"] == "/cas/confirmation"
    assert _confirm(client, "decline").headers["Location"] == "/home"
    # A second ticket for the same service URL, her own this time: still asked.
    again = client.get(callback_path(service, cas_ticket(cas, service, "cmartin")))
    assert again.headers["Location"] == "/cas/confirmation"


def test_a_login_desk_started_signs_in_at_once(cas_app, client, cas, app_ctx):
    response = cas_sign_in(client, cas, "cmartin", next_path="/catalogue")
    assert response.headers["Location"] == "/catalogue"
    assert "Claire Martin" in _home(client)
    with client.session_transaction() as session:
        assert not session.get("cas_nonces")  # a fresh session, with no nonce left in it


@pytest.mark.parametrize("started_here", [False, True])
def test_a_signed_in_person_is_never_switched_silently(cas_app, client, cas, app_ctx, started_here):
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    service = desk_service(client, cas) if started_here else SERVICE
    response = _forged(cas, client, service=service)
    assert response.headers["Location"] == "/cas/confirmation"
    assert "Claire Martin" in _home(client)  # still herself
    page = client.get("/cas/confirmation", headers=EN).text
    assert (
        "You are signed in to the service centre as Claire Martin. "
        "Continue as Karim Benali (kbenali) instead?"
    ) in page
    kept = _confirm(client, "decline")
    assert kept.headers["Location"] == "/home"
    assert "Claire Martin" in _home(client)
    assert len(_sessions()) == 1  # hers only


def test_switching_after_confirming(cas_app, client, cas, app_ctx):
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    _forged(cas, client)
    assert _confirm(client).status_code == 302
    assert "Karim Benali" in _home(client)


def test_names_on_the_page_are_escaped(cas_app, client, cas, app_ctx):
    cas_app.config["LDAP_URL"] = ""
    cas.add_account(
        "mallory", "cas-password", mail="m@outside.example", displayName="<b>Mallory</b>"
    )
    _forged(cas, client, login="mallory")
    page = client.get("/cas/confirmation", headers=EN).text
    assert "<b>Mallory" not in page and "&lt;b&gt;Mallory&lt;/b&gt; (mallory)" in page


@pytest.mark.browser
def test_a_forged_link_in_chromium_asks_first(cas_app, cas, live_server, chromium, app_ctx):
    from playwright.sync_api import expect

    from tests.support.a11y import check_page

    cas_app.config["BASE_URL"] = live_server
    service = live_server + "/cas/callback"
    ticket = cas_ticket(cas, service, "kbenali")
    page = new_page(chromium)
    page.goto(f"{service}?ticket={urllib.parse.quote(ticket)}")
    expect(page).to_have_url(f"{live_server}/cas/confirmation")
    expect(page.locator("#cas-confirm-title")).to_be_focused()
    check_page(page, "CAS confirmation")
    page.click("button[value=confirm]")
    expect(page).to_have_url(f"{live_server}/home")
    expect(page.locator("body")).to_contain_text("Karim Benali")
