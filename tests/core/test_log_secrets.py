"""What the logs must never hold, even at DEBUG (DESK_LOG_LEVEL=DEBUG, an operator tracking a
problem): passwords posted at login, CSRF tokens, session cookies, CAS service tickets."""

from __future__ import annotations

import json
import logging

from desk.auth.models import Role
from desk.extensions import db
from tests.identity.conftest import (  # noqa: F401 - the CAS, directory and demo fixtures
    callback_path,
    cas,
    cas_app,
    cas_ticket,
    demo,
    desk_service,
    new_browser,
)
from tests.support.factories import make_user
from tests.support.slapd import slapd  # noqa: F401

PASSWORD = "Pl4in-Text-Passw0rd-31"
WRONG_PASSWORD = "Wr0ng-Guess-Passw0rd-77"


def test_passwords_tokens_cookies_and_cas_tickets_stay_out_of_the_logs(
    cas_app,  # noqa: F811
    cas,  # noqa: F811
    app_ctx,
    capsys,
):
    root = logging.getLogger()
    saved = root.level
    root.setLevel(logging.DEBUG)
    try:
        admin = make_user("root@umontpellier.fr", role=Role.ADMIN, password=PASSWORD)
        admin.is_break_glass = True
        db.session.commit()
        local = new_browser(cas_app)
        assert local.submit("/login/local", {"email": admin.email, "password": WRONG_PASSWORD})
        signed_in = local.submit("/login/local", {"email": admin.email, "password": PASSWORD})
        assert signed_in.status_code == 302
        csrf = local.last_csrf
        admin_cookie = local.get_cookie("session").value

        browser = new_browser(cas_app)
        service = desk_service(browser, cas)
        ticket = cas_ticket(cas, service, "cmartin")
        assert browser.get(callback_path(service, ticket)).status_code == 302
        assert browser.get("/home").status_code == 200
        cas_cookie = browser.get_cookie("session").value

        # The CAS out of reach: desk says so in its log, without the ticket.
        cas_app.config["CAS_URL"] = "http://127.0.0.1:1/cas/"
        lost = "ST-4242-never-validated-ticket"
        assert new_browser(cas_app).get(f"/cas/callback?ticket={lost}").status_code == 503
    finally:
        root.setLevel(saved)

    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    for secret in (PASSWORD, WRONG_PASSWORD, csrf, admin_cookie, cas_cookie, ticket, lost):
        assert secret and secret not in out, [line for line in out.splitlines() if secret in line]
    # The lines are still there, the ticket hidden: the validation urllib3 logged at DEBUG,
    # and desk's error when the CAS did not answer.
    validated = [e for e in lines if "serviceValidate?ticket=[hidden]&service=" in e["message"]]
    assert validated and validated[0]["logger"].startswith("urllib3")
    assert any(e["message"].startswith("CAS validation failed: ConnectionError") for e in lines)


def test_the_signed_rating_link_is_hidden_in_the_access_lines(app, client, app_ctx, capsys):
    """The resolution e-mail's link rates the ticket as its requester, signed in or not: its
    token is a credential, and the access line wrote the path whole."""
    import datetime as dt

    from desk.satisfaction.services import link_token
    from tests.support.factories import make_ticket

    requester = make_user("claire@umontpellier.fr")
    ticket = make_ticket(
        requester=requester, status="resolved", resolved_at=dt.datetime.now(dt.UTC)
    )
    token = link_token(ticket.reference, requester.id)
    capsys.readouterr()
    assert client.get(f"/evaluation/{token}").status_code == 200
    client.submit(f"/evaluation/{token}", {"score": "5"})
    out = capsys.readouterr().out
    assert token not in out
    access = [json.loads(x) for x in out.splitlines() if '"desk.access"' in x]
    paths = [(e["method"], e["path"], e["message"]) for e in access]
    assert paths == [
        ("GET", "/evaluation/[hidden]", "GET /evaluation/[hidden] 200"),
        ("GET", "/evaluation/[hidden]", "GET /evaluation/[hidden] 200"),
        ("POST", "/evaluation/[hidden]", "POST /evaluation/[hidden] 200"),
    ]


def test_a_signed_link_is_hidden_when_its_route_refuses_the_request(app, client, app_ctx, capsys):
    """Sent with a method the route has not, a slash or words added, the link answers 405 or
    404 and no route matched: the access line wrote the path whole, token and all (and so
    did the line of a request the HTTP server refused, desk.core.refused)."""
    from desk.core.refused import _without_secrets

    token = "c2VjcmV0LXRva2VuLW9mLXRoZS1yYXRpbmctbGluaw"
    capsys.readouterr()
    assert client.put(f"/evaluation/{token}").status_code == 405
    assert client.get(f"/evaluation/{token}/").status_code == 404
    assert client.get(f"/evaluation/{token}/extra/words").status_code == 404
    out = capsys.readouterr().out
    access = [json.loads(x) for x in out.splitlines() if '"desk.access"' in x]
    assert [e["path"] for e in access] == [
        "/evaluation/[hidden]",
        "/evaluation/[hidden]/",
        "/evaluation/[hidden]/extra/words",
    ]
    assert token not in out
    with app.test_request_context():
        assert _without_secrets(f"/evaluation/{token}/") == "/evaluation/[hidden]/"
        assert _without_secrets("/nowhere/at/all") == "/nowhere/at/all"
