"""What the CAS answers to a ticket validation, when it is not a CAS answer: a maintenance page,
an error status, XML in an unknown encoding or with a DTD, an endless or dripping body. The
person signing in gets the "sign-in service is not answering" page, never a 500, and desk
neither hangs nor expands entities. Played by the CAS test server over real HTTP."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db
from tests.identity.conftest import cas_sign_in, cas_ticket

SERVICE = "http://localhost/cas/callback"
CAS = 'xmlns:cas="http://www.yale.edu/tp/cas"'
SUCCESS = (
    f"<cas:serviceResponse {CAS}><cas:authenticationSuccess><cas:user>{{user}}</cas:user>"
    "</cas:authenticationSuccess></cas:serviceResponse>"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l "lol">'
    + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10 if i > 1 else "&l;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
    + SUCCESS.format(user="&l9;")
)

ANSWERS = {
    # expat saw an unknown encoding as a LookupError, which python-cas let through: a 500.
    "unknown encoding": (
        200,
        '<?xml version="1.0" encoding="x-bogus"?>' + SUCCESS.format(user="cmartin"),
    ),
    # Well-formed but not CAS: it read as "ticket refused", which sends people round again.
    "maintenance page": (200, "<html><body><p>Maintenance</p></body></html>"),
    "error status": (503, "<html><body><p>Service Unavailable</p></body></html>"),
    "a redirect": (302, ""),
    # A DTD defining the user: python-cas expanded it and signed "cmartin" in.
    "internal entity": (
        200,
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY u "cmartin">]>' + SUCCESS.format(user="&u;"),
    ),
    "external entity": (
        200,
        '<!DOCTYPE r [<!ENTITY u SYSTEM "file:///etc/hostname">]>' + SUCCESS.format(user="&u;"),
    ),
    "billion laughs": (200, LAUGHS),
    # A CAS escapes what it writes: markup inside <cas:user> was read up to the markup
    # ("cmartin<!-- -->x" as cmartin), a second <cas:user> ignored.
    "markup inside the user": (200, SUCCESS.format(user="cmartin<!-- -->x")),
    "an element inside the user": (200, SUCCESS.format(user="cmartin<x/>")),
    "two users": (200, SUCCESS.format(user="cmartin</cas:user><cas:user>other")),
    # Read whole into memory before: now cut at 1 MiB.
    "huge body": (200, SUCCESS.format(user="cmartin") + " " * (3 * 1024 * 1024)),
}


@pytest.mark.parametrize("name", list(ANSWERS))
def test_a_garbled_validation_answer_is_the_cas_down_page(cas_app, client, cas, app_ctx, name):
    ticket = cas_ticket(cas, SERVICE, "cmartin")
    status, body = ANSWERS[name]
    cas.validation_answer = (status, "application/xml; charset=UTF-8", body.encode())
    response = client.get(f"/cas/callback?ticket={ticket}")
    assert response.status_code == 503, name
    assert "Le service de connexion ne répond pas" in response.text
    assert 'href="/login/local"' in response.text  # break-glass stays reachable
    assert client.get("/home").status_code == 302  # nobody is signed in
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_cas_that_drips_its_answer_is_given_up_on(cas_app, client, cas, app_ctx):
    """Each read comes within the timeout, the whole never does: desk stops at the deadline."""
    cas_app.config["CAS_TIMEOUT"] = 1
    ticket = cas_ticket(cas, SERVICE, "cmartin")
    body = SUCCESS.format(user="cmartin") + " " * 16 * 40  # about 50 chunks of 16 bytes
    cas.validation_answer = (200, "application/xml", body.encode())
    cas.validation_drip = 0.2  # about 10 s in all
    started = time.monotonic()
    response = client.get(f"/cas/callback?ticket={ticket}")
    assert response.status_code == 503
    assert time.monotonic() - started < 4
    assert client.get("/home").status_code == 302


def test_a_real_refusal_is_still_the_ticket_page(cas_app, client, cas, app_ctx):
    ticket = cas_ticket(cas, SERVICE, "cmartin")
    cas.validation_answer = (
        200,
        "application/xml",
        f'<cas:serviceResponse {CAS}><cas:authenticationFailure code="INVALID_TICKET">'
        "not recognized</cas:authenticationFailure></cas:serviceResponse>".encode(),
    )
    response = client.get(f"/cas/callback?ticket={ticket}")
    assert response.status_code == 403
    assert "Ce lien de connexion n’est plus valable" in response.text


def test_a_cas_that_stops_in_the_middle_of_its_answer_is_the_cas_down_page(
    cas_app, client, cas, app_ctx
):
    """A read that times out mid-body (urllib3's error, not requests') is an outage, not a 500."""
    cas_app.config["CAS_TIMEOUT"] = 1
    ticket = cas_ticket(cas, SERVICE, "cmartin")
    cas.validation_answer = (200, "application/xml", SUCCESS.format(user="cmartin").encode())
    cas.validation_drip = 1.5  # the first 16 bytes, then nothing for longer than the timeout
    response = client.get(f"/cas/callback?ticket={ticket}")
    assert response.status_code == 503
    assert "Le service de connexion ne répond pas" in response.text


def test_markup_released_as_an_attribute_stays_text(cas_app, client, cas, app_ctx):
    """An outside provider's display name with markup, escaped by the CAS as it should be:
    the name is that text, shown escaped; never markup on desk's pages."""
    cas_app.config["LDAP_URL"] = ""
    cas.add_account(
        "mallory",
        "cas-password",
        mail="mallory@outside.example",
        displayName='<img src=x onerror="alert(1)">Mallory',
    )
    assert cas_sign_in(client, cas, "mallory").status_code == 302
    user = db.session.scalar(select(User).filter_by(email="mallory@outside.example"))
    assert user.display_name == '<img src=x onerror="alert(1)">Mallory'
    home = client.get("/home").text
    assert "<img src=x" not in home
    assert "&lt;img src=x" in home
