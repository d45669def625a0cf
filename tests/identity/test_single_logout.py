"""Single logout: the CAS's back-channel logoutRequest ends the desk session; desk's logout
goes through the CAS logout."""

from __future__ import annotations

import urllib.parse

import requests

from desk.extensions import db
from desk.identity.models import CasSession
from tests.identity.conftest import cas_sign_in
from tests.support.cas_server import logout_request


def _ticket(client) -> str:
    with client.session_transaction() as session:
        return session["cas_ticket"]


def test_cas_single_logout_ends_the_desk_session(cas_app, client, cas, app_ctx):
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    assert client.get("/home").status_code == 200
    ticket = _ticket(client)
    # The logoutRequest the CAS posts when the person signs out elsewhere (the live-server
    # test below has the CAS server deliver it over HTTP itself).
    response = client.post("/cas/callback", data={"logoutRequest": logout_request(ticket)})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(CasSession, ticket).ended_reason == "cas"
    home = client.get("/home")
    assert home.status_code == 302 and "/login" in home.headers["Location"]


def test_logout_request_for_an_unknown_session_changes_nothing(cas_app, client, cas, app_ctx):
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    outsider = type(client)(cas_app, cas_app.response_class)
    response = outsider.post(
        "/cas/callback", data={"logoutRequest": logout_request("ST-not-issued-by-desk")}
    )
    assert response.status_code == 200  # as for a live ticket: see below
    for body in (
        "<not xml",
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        logout_request(""),
        "",
    ):
        response = outsider.post("/cas/callback", data={"logoutRequest": body})
        assert response.status_code == 400
    assert client.get("/home").status_code == 200  # still logged in


def _answer(response) -> tuple[int, str, bytes]:
    return response.status_code, response.headers["Content-Type"], response.data


def test_the_answer_does_not_tell_whether_a_ticket_is_live(cas_app, client, cas, app_ctx):
    """Anyone can post a logoutRequest: it answered 200 for a ticket that had opened a
    session (or waited for confirmation) and 400 for any other, an oracle of live tickets."""
    from tests.identity.conftest import callback_path, cas_ticket, desk_service

    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    live = _ticket(client)
    # A sign-in held for its person's confirmation (a callback this browser did not start).
    held_browser = type(client)(cas_app, cas_app.response_class)
    service = desk_service(type(client)(cas_app, cas_app.response_class), cas)
    held = cas_ticket(cas, service, "lpetit")
    assert held_browser.get(callback_path(service, held)).status_code == 302
    outsider = type(client)(cas_app, cas_app.response_class)

    def slo(ticket: str):
        return outsider.post("/cas/callback", data={"logoutRequest": logout_request(ticket)})

    answers = {
        "unknown": _answer(slo("ST-1-never-issued")),
        "live": _answer(slo(live)),
        "ended": _answer(slo(live)),
        "held": _answer(slo(held)),
    }
    assert set(answers.values()) == {(200, "text/plain; charset=utf-8", b"ok\n")}
    # Single logout still did its work, once.
    db.session.expire_all()
    session = db.session.get(CasSession, live)
    assert session.ended_reason == "cas"
    assert client.get("/home").status_code == 302
    question = held_browser.get("/cas/confirmation")  # dropped: nothing left to confirm
    assert question.status_code == 302 and question.headers["Location"] == "/login"


def test_logout_request_needs_no_csrf_token_but_cannot_be_replayed(cas_app, client, cas, app_ctx):
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    ticket = _ticket(client)
    outsider = type(client)(cas_app, cas_app.response_class)
    assert (
        outsider.post("/cas/callback", data={"logoutRequest": logout_request(ticket)}).status_code
        == 200
    )
    db.session.expire_all()
    ended_at = db.session.get(CasSession, ticket).ended_at
    assert ended_at is not None
    # Replayed: the same answer (see above), and nothing changes.
    assert (
        outsider.post("/cas/callback", data={"logoutRequest": logout_request(ticket)}).status_code
        == 200
    )
    db.session.expire_all()
    assert db.session.get(CasSession, ticket).ended_at == ended_at


def test_desk_logout_goes_through_the_cas_logout(cas_app, client, cas, app_ctx):
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    ticket = _ticket(client)
    client.get("/home")
    response = client.post("/logout", data={"csrf_token": client.last_csrf})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(cas.url + "logout?")
    back = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["service"][0]
    assert back == "http://localhost/login"
    db.session.expire_all()
    assert db.session.get(CasSession, ticket).ended_reason == "logout"
    assert client.get("/home").status_code == 302


def test_the_cas_server_posts_single_logout_to_a_live_desk(cas_app, live_server, cas, app_ctx):
    """Over real HTTP: the CAS test server itself delivers the logoutRequest to desk."""
    cas_app.config["BASE_URL"] = live_server
    browser = requests.Session()
    start = browser.get(live_server + "/cas/login", allow_redirects=False)
    service = urllib.parse.parse_qs(urllib.parse.urlsplit(start.headers["Location"]).query)[
        "service"
    ][0]
    back = browser.post(
        cas.url + "login",
        data={"service": service, "username": "cmartin", "password": "cas-password"},
        allow_redirects=False,
    )
    browser.cookies.update(back.cookies)
    landed = browser.get(back.headers["Location"], allow_redirects=False)
    assert landed.status_code == 302
    assert browser.get(live_server + "/home", allow_redirects=False).status_code == 200
    # The user signs out at the CAS (TGC cookie): the CAS calls desk back.
    browser.get(cas.url + "logout", allow_redirects=False)
    assert cas.slo_results == [(service, 200)]
    assert browser.get(live_server + "/home", allow_redirects=False).status_code == 302


def test_a_logout_request_is_read_whole_or_not_at_all(cas_app, client, cas, app_ctx):
    """No DTD (defusedxml's rule: a CAS sends none), and the index is the element's whole
    text: lxml's `.text` stops at the first entity, comment or element, so a request that no
    CAS sends ("ST-…&e;", "ST-…<!-- -->x") was read as the ticket before it, and obeyed."""
    assert cas_sign_in(client, cas, "cmartin").status_code == 302
    ticket = _ticket(client)
    outsider = type(client)(cas_app, cas_app.response_class)
    for inside in ("&e;", "<!-- -->x", "<x/>"):
        body = logout_request(ticket).replace(
            "</samlp:SessionIndex>", inside + "</samlp:SessionIndex>"
        )
        if inside == "&e;":
            body = '<!DOCTYPE r [<!ENTITY e "x">]>' + body
        response = outsider.post("/cas/callback", data={"logoutRequest": body})
        assert response.status_code == 400, body
    db.session.expire_all()
    assert db.session.get(CasSession, ticket).ended_at is None
    assert client.get("/home").status_code == 200  # still signed in


def test_a_post_to_the_callback_signs_nobody_in_and_spends_no_ticket(cas_app, client, cas, app_ctx):
    """The back-channel door takes no CSRF token: it must do nothing but single logout."""
    from tests.identity.conftest import callback_path, cas_ticket, desk_service

    service = desk_service(client, cas)
    ticket = cas_ticket(cas, service, "cmartin")
    response = client.post(callback_path(service, ticket), data={"ticket": ticket})
    assert response.status_code == 400
    assert client.get("/home").status_code == 302
    assert cas.validations == 0  # the ticket was not even presented to the CAS
    assert client.get(callback_path(service, ticket)).headers["Location"] == "/home"  # still good
