"""Login CSRF through the CAS callback: a service ticket of someone else's CAS account, sent to
a browser that did not ask for it, signs nobody in until its person confirms; a signed-in
browser is never switched to another account without being asked. The nonce desk puts in the
service URL of the logins it starts is what tells them apart."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse

import pytest
import requests
from sqlalchemy import select

from desk.auth.models import Role, User
from desk.extensions import db
from desk.identity.handoff import PENDING_KEY, PENDING_SECONDS
from desk.identity.models import CasHandoff, CasSession, DirectoryLink
from tests.identity.conftest import (
    CAS_PASSWORD,
    callback_path,
    cas_sign_in,
    cas_ticket,
    desk_service,
)
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


def _held() -> list[CasHandoff]:
    db.session.expire_all()
    return list(db.session.scalars(select(CasHandoff)))


def _account(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def _cas_logout(cas, back: str) -> str:
    return cas.url + "logout?" + urllib.parse.urlencode({"service": back})


def _portal_link(live_server: str, cas, login: str) -> tuple[requests.Session, str]:
    """A browser whose CAS session (TGC) is `login`'s follows a link to desk made without
    desk's nonce (a portal's): the CAS hands it a ticket for desk's bare service URL."""
    browser = requests.Session()
    service = live_server + "/cas/callback"
    at_cas = browser.post(
        cas.url + "login",
        data={"service": service, "username": login, "password": CAS_PASSWORD},
        allow_redirects=False,
    )
    browser.cookies.update(at_cas.cookies)
    ticket = urllib.parse.parse_qs(urllib.parse.urlsplit(at_cas.headers["Location"]).query)
    back = browser.get(at_cas.headers["Location"], allow_redirects=False)
    assert back.status_code == 302 and back.headers["Location"] == "/cas/confirmation"
    return browser, ticket["ticket"][0]


def _answer(browser: requests.Session, live_server: str, answer: str):
    page = browser.get(live_server + "/cas/confirmation", allow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return browser.post(
        live_server + "/cas/confirmation",
        data={"csrf_token": token, "answer": answer},
        allow_redirects=False,
    )


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
    # The question names the person: kept out of a shared computer's cache.
    assert client.get("/cas/confirmation").headers["Cache-Control"] == "no-store"
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
    # On through the CAS logout (the test below follows it), back to desk's sign-in page.
    assert declined.status_code == 302
    assert declined.headers["Location"] == _cas_logout(cas, "http://localhost/login")
    assert client.get("/home").status_code == 302
    # The identity is gone: going back to the page asks to sign in again.
    again = client.get("/cas/confirmation")
    assert again.status_code == 302 and again.headers["Location"] == "/login"
    assert _sessions() == [] and _held() == []


def test_this_is_not_me_ends_the_cas_session_left_open(cas_app, live_server, cas, app_ctx):
    """A shared computer: someone's CAS session is still open in the browser, and a portal's
    link to desk comes back with their ticket. "This is not me" ends that CAS session too:
    otherwise the next "Sign in" would silently be theirs again."""
    cas_app.config["BASE_URL"] = live_server
    browser, _ticket = _portal_link(live_server, cas, "kbenali")
    declined = _answer(browser, live_server, "decline")
    assert declined.status_code == 302
    assert declined.headers["Location"] == _cas_logout(cas, live_server + "/login")
    back = browser.get(declined.headers["Location"], allow_redirects=False)  # at the CAS
    assert back.status_code == 302 and back.headers["Location"] == live_server + "/login"
    assert not any(sso.username == "kbenali" for sso in cas.sessions.values())
    # Said in the language of the request that declined (French: no Accept-Language).
    told = browser.get(back.headers["Location"], allow_redirects=False).text
    assert "ce navigateur a été déconnecté du service d’authentification centralisé" in told
    # The next "Sign in" asks the CAS for a login and password instead of being kbenali again.
    start = browser.get(live_server + "/cas/login", allow_redirects=False)
    at_cas = browser.get(start.headers["Location"], allow_redirects=False)
    assert at_cas.status_code == 200 and 'name="username"' in at_cas.text
    assert _sessions() == [] and _held() == []


def test_this_is_not_me_after_the_question_expired_still_ends_the_cas_session(
    cas_app, client, cas, app_ctx
):
    _forged(cas, client)
    page = client.get("/cas/confirmation")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    with client.session_transaction() as session:
        session[PENDING_KEY] = {**session[PENDING_KEY], "at": session[PENDING_KEY]["at"] - 301}
    late = client.post("/cas/confirmation", data={"csrf_token": token, "answer": "decline"})
    assert late.headers["Location"] == _cas_logout(cas, "http://localhost/login")
    assert _held() == []


def test_single_logout_drops_a_sign_in_waiting_for_confirmation(cas_app, live_server, cas, app_ctx):
    """The CAS ends the ticket's session (the person signed out elsewhere) during the five
    minutes: its single logout is taken (2xx) and the question can sign nobody in any more."""
    cas_app.config["BASE_URL"] = live_server
    browser, ticket = _portal_link(live_server, cas, "kbenali")
    page = browser.get(live_server + "/cas/confirmation", allow_redirects=False)
    assert page.status_code == 200
    cas.logout_user("kbenali")  # the CAS server posts the logoutRequest to desk itself
    assert cas.slo_results == [(live_server + "/cas/callback", 200)]
    assert _held() == []
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    late = browser.post(
        live_server + "/cas/confirmation",
        data={"csrf_token": token, "answer": "confirm"},
        allow_redirects=False,
    )
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert browser.get(live_server + "/home", allow_redirects=False).status_code == 302
    assert _sessions() == []
    # The CAS may say it again: desk no longer knows the ticket, and answers as always.
    outsider = requests.post(
        live_server + "/cas/callback", data={"logoutRequest": logout_request(ticket)}, timeout=5
    )
    assert (outsider.status_code, outsider.text) == (200, "ok\n")


def test_no_account_is_made_before_the_person_confirms(cas_app, client, cas, app_ctx):
    """The ticket of whoever's CAS account was sent to the browser writes nothing until its
    person confirms: the validation's answer waits with the question."""
    assert _forged(cas, client).headers["Location"] == "/cas/confirmation"
    page = client.get("/cas/confirmation", headers=EN).text
    assert "Sign in to the service centre as Karim Benali (kbenali)?" in page
    assert _account("tech.reseau@umontpellier.fr") is None
    assert db.session.scalars(select(DirectoryLink)).all() == []
    [held] = _held()
    assert held.principal == "kbenali" and held.attributes["mail"] == [
        "tech.reseau@umontpellier.fr"
    ]
    _confirm(client, "decline")
    assert _account("tech.reseau@umontpellier.fr") is None
    _forged(cas, client)
    assert _confirm(client).headers["Location"] == "/home"
    karim = _account("tech.reseau@umontpellier.fr")
    assert karim.display_name == "Karim Benali" and karim.role is Role.TECHNICIAN
    assert "Karim Benali" in _home(client) and _held() == []


def test_an_account_is_refreshed_only_once_confirmed(cas_app, client, cas, app_ctx):
    first = type(client)(cas_app, cas_app.response_class)
    assert cas_sign_in(first, cas, "cmartin").status_code == 302
    claire = _account("claire.martin@umontpellier.fr")
    claire.display_name = "Claire Old-Name"
    db.session.commit()
    _forged(cas, client, login="cmartin")
    page = client.get("/cas/confirmation", headers=EN).text
    assert "Sign in to the service centre as Claire Martin (cmartin)?" in page  # the directory's
    assert _account("claire.martin@umontpellier.fr").display_name == "Claire Old-Name"
    assert _confirm(client).status_code == 302
    assert _account("claire.martin@umontpellier.fr").display_name == "Claire Martin"


def test_without_a_directory_the_held_attributes_make_the_account(cas_app, client, cas, app_ctx):
    cas_app.config["LDAP_URL"] = ""
    cas.add_account("mallory", "cas-password", mail="m@outside.example", displayName="Mallory M")
    _forged(cas, client, login="mallory")
    assert _account("m@outside.example") is None
    cas.accounts.clear()  # the CAS is not asked again: what it released waits with the question
    assert _confirm(client).headers["Location"] == "/home"
    assert _account("m@outside.example").display_name == "Mallory M"


def test_an_account_deactivated_meanwhile_is_not_signed_in(cas_app, client, cas, app_ctx):
    first = type(client)(cas_app, cas_app.response_class)
    assert cas_sign_in(first, cas, "cmartin").status_code == 302
    _forged(cas, client, login="cmartin")
    claire = _account("claire.martin@umontpellier.fr")
    claire.is_active_account = False
    db.session.commit()
    refused = _confirm(client)
    assert refused.status_code == 403
    assert client.get("/home").status_code == 302
    assert len(_sessions()) == 1 and _held() == []  # her first session only


def test_a_held_login_expires_on_the_server_too(cas_app, client, cas, app_ctx):
    _forged(cas, client)
    [held] = _held()
    held.created_at -= dt.timedelta(seconds=301)
    db.session.commit()
    late = client.get("/cas/confirmation")
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    # The next question, or the next sign-in, purges what nobody answered.
    other = type(client)(cas_app, cas_app.response_class)
    _forged(cas, other, login="cmartin")
    [held] = _held()
    assert held.principal == "cmartin"
    held.created_at -= dt.timedelta(seconds=301)
    db.session.commit()
    assert (
        cas_sign_in(type(client)(cas_app, cas_app.response_class), cas, "lpetit").status_code == 302
    )
    assert _held() == []


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
    # A second ticket for the same service URL, of a third account: still asked.
    again = client.get(callback_path(service, cas_ticket(cas, service, "lpetit")))
    assert again.headers["Location"] == "/cas/confirmation"


def test_a_login_started_in_two_tabs_signs_in_without_a_question(cas_app, client, cas, app_ctx):
    """Two tabs of one browser sent to the CAS form before either came back: the first
    sign-in began a fresh session, without the second tab's nonce, and the second tab's
    return asked her 'You are signed in as Claire Martin. Continue as Claire Martin
    instead?', saying that the sign-in 'did not start from the service centre'. Her own
    account needs no question: the tab signs in, to the page it was going to."""
    first = desk_service(client, cas, next_path="/catalogue")
    second = desk_service(client, cas, next_path="/preferences")
    tickets = [cas_ticket(cas, service, "cmartin") for service in (first, second)]
    assert client.get(callback_path(first, tickets[0])).headers["Location"] == "/catalogue"
    back = client.get(callback_path(second, tickets[1]))
    assert back.headers["Location"] == "/preferences"
    assert "Claire Martin" in _home(client)
    assert not _held()
    # The second ticket opened the session this browser now holds: its single logout ends it.
    assert {s.ticket for s in _sessions()} == set(tickets)
    sent = client.post("/cas/callback", data={"logoutRequest": logout_request(tickets[1])})
    assert sent.status_code == 200
    assert _home(client) == ""


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
