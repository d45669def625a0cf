"""Fixtures of the identity tests: slapd, the CAS test server, desk switched to CAS."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
import yaml

from tests.support.cas_server import CasServer
from tests.support.live_server import chromium, live_server
from tests.support.slapd import PEOPLE, slapd

if TYPE_CHECKING:
    from desk.auth.models import User
    from desk.identity.models import DirectoryLink, DirectorySync
    from tests.conftest import Client

__all__ = ["chromium", "live_server", "slapd"]

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"
CAS_PASSWORD = "cas-password"


@pytest.fixture
def cas():
    """The CAS, with one account per person of the test directory (password CAS_PASSWORD)."""
    server = CasServer()
    for login, attrs in PEOPLE.items():
        server.add_account(login, CAS_PASSWORD, uid=login, mail=attrs["mail"])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def demo(app_ctx, tmp_path):
    """The demo reference file (queues, catalogue, identity mapping), without its accounts
    and SLA calendars: they cost seconds per test and identity makes its own people."""
    from desk.reference.loader import load_reference

    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    for name in ("users", "calendars", "sla_policies"):
        data.pop(name, None)
    path = tmp_path / "reference.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_reference(path)


@pytest.fixture
def cas_app(app, cas, slapd, demo):
    """desk with DESK_AUTH=cas against the test CAS and the test directory.

    Tests may change any setting further; all of them are put back afterwards.
    """
    saved = dict(app.config)
    app.config.update(
        AUTH="cas",
        CAS_URL=cas.url,
        CAS_TIMEOUT=3,
        BASE_URL="http://localhost",
        LDAP_TIMEOUT=2,
        **slapd.settings(),
    )
    yield app
    app.config.clear()
    app.config.update(saved)


@pytest.fixture
def admin_client(cas_app, app_ctx):
    """An administrator logged in through the break-glass page (passwords are off)."""
    from desk.auth.models import Role
    from desk.extensions import db
    from tests.conftest import Client
    from tests.support.factories import make_user

    admin = make_user("root@umontpellier.fr", role=Role.ADMIN)
    admin.is_break_glass = True
    db.session.commit()
    cas_app.test_client_class = Client
    client = cas_app.test_client()
    response = client.submit("/login/local", {"email": admin.email, "password": "password"})
    assert response.status_code == 302
    return client


def cas_ticket(cas: CasServer, service: str, username: str, password: str = CAS_PASSWORD) -> str:
    """Sign in at the CAS over HTTP, as the browser would, and return the service ticket."""
    response = requests.post(
        cas.url + "login",
        data={"service": service, "username": username, "password": password},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(service)
    return urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["ticket"][0]


def desk_service(client, cas: CasServer, *, next_path: str | None = None) -> str:
    """The service URL desk sends this client's browser to the CAS with (its `state` nonce
    kept in the client's session), as the browser follows "Se connecter"."""
    start = client.get(
        "/cas/login" + (f"?next={urllib.parse.quote(next_path)}" if next_path else "")
    )
    assert start.status_code == 302
    login_url = start.headers["Location"]
    assert login_url.startswith(cas.url + "login?")
    return urllib.parse.parse_qs(urllib.parse.urlsplit(login_url).query)["service"][0]


def callback_path(service: str, ticket: str) -> str:
    """Where the CAS sends the browser back: the service URL with the ticket."""
    parts = urllib.parse.urlsplit(service)
    return parts.path + (f"?{parts.query}&ticket={ticket}" if parts.query else f"?ticket={ticket}")


def cas_sign_in(client, cas: CasServer, username: str, *, next_path: str | None = None):
    """Follow desk → CAS → desk for a test client; returns desk's answer to the callback."""
    service = desk_service(client, cas, next_path=next_path)
    return client.get(callback_path(service, cas_ticket(cas, service, username)))


def new_browser(app) -> Client:
    """A browser of its own: its own cookies, and a fresh app context per request as in
    production (plain FlaskClients made in one test would share the test's `g`)."""
    from tests.conftest import Client

    return Client(app, app.response_class)


def sign_in_everyone(app, cas: CasServer) -> None:
    """Each person of the test directory signs in once through the CAS, in a browser of their
    own, so each has an account and a directory link."""
    for login in ("cmartin", "lpetit", "kbenali", "adesk"):
        assert cas_sign_in(new_browser(app), cas, login).status_code == 302


def run_sync(app) -> DirectorySync:
    """One directory sync, committed as the nightly task commits it, the session then expired
    so that what a test reads next comes from the database."""
    from desk.extensions import db
    from desk.identity.directory import get_directory
    from desk.identity.sync import sync_directory

    run = sync_directory(get_directory(app.config))
    db.session.commit()
    db.session.expire_all()
    return run


def user_by_email(email: str) -> User | None:
    """The account with this address, read afresh from the database."""
    from sqlalchemy import select

    from desk.auth.models import User
    from desk.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(User).filter_by(email=email))


def link_of(user: User) -> DirectoryLink | None:
    """The account's link to its directory entry, read afresh from the database."""
    from desk.extensions import db
    from desk.identity.models import DirectoryLink

    db.session.expire_all()
    return db.session.get(DirectoryLink, user.id)


def cas_sessions_of(user: User) -> int:
    """How many desk sessions the account holds from CAS sign-ins."""
    from sqlalchemy import func, select

    from desk.extensions import db
    from desk.identity.models import CasSession

    return db.session.scalar(select(func.count(CasSession.ticket)).filter_by(user_id=user.id))
