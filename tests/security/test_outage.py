"""PostgreSQL or Redis out of reach: desk's own 503 page, in the user's language, Retry-After.

PostgreSQL is a private server of this test (never the shared one), stopped under a running
app; Redis is an address nothing listens on.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Blueprint, Flask

from desk import create_app
from desk.core.access import PUBLIC, access
from desk.extensions import db, get_redis
from tests.conftest import Client
from tests.support.database import reset_schema
from tests.support.factories import make_ticket, make_user
from tests.support.private_postgres import PrivatePostgres


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres().start()
    yield server
    server.destroy()


def _keep_the_sessions_celery(app: Flask) -> None:
    # create_app made its own Celery app current: tasks called in process by the next tests
    # would run in that app's context (its database, its mail settings).
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()


@pytest.fixture(scope="module")
def pg_app(app, test_env, private_pg) -> Iterator[Flask]:
    """desk on the private server, schema built by the migrations."""
    application = create_app({"SQLALCHEMY_DATABASE_URI": private_pg.create_database("desk")})
    _keep_the_sessions_celery(app)
    application.test_client_class = Client
    probe = Blueprint("probe_pg", __name__)

    @probe.get("/probe/pg-crash")
    @access(PUBLIC)
    def crash():
        """Lose the server after the user was loaded, then query."""
        from flask_login import current_user

        assert current_user.is_authenticated
        private_pg.stop("immediate")
        db.session.execute(db.text("SELECT 1"))
        return "unreachable"

    application.register_blueprint(probe)
    with application.app_context():
        reset_schema(application)
    yield application
    with application.app_context():
        db.engine.dispose()


def _assert_outage_page(response, text: str) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert text in response.text
    assert "Traceback" not in response.text and "psycopg" not in response.text


def test_postgresql_stopped_gives_desks_503_then_recovers(pg_app, private_pg):
    with pg_app.app_context():
        user = make_user("marie@umontpellier.fr")  # no language chosen: her browser's
        ticket = make_ticket(requester=user)
        reference = ticket.reference
    client = pg_app.test_client()
    client.login("marie@umontpellier.fr")
    assert client.get(f"/mes-demandes/{reference}").status_code == 200
    anonymous = pg_app.test_client()
    token = client.last_csrf

    private_pg.stop()
    try:
        # The logged-in user cannot be read, and chose no language: the browser's.
        page = client.get(f"/mes-demandes/{reference}", headers={"Accept-Language": "fr"})
        _assert_outage_page(page, "Service indisponible")
        _assert_outage_page(page, "momentanément indisponible")
        english = client.get("/home", headers={"Accept-Language": "en"})
        _assert_outage_page(english, "Service unavailable")
        posted = client.post(
            f"/mes-demandes/{reference}/commentaire", data={"csrf_token": token, "body": "hello"}
        )
        _assert_outage_page(posted, "Service indisponible")
        login = anonymous.post("/login", data={"email": "x@umontpellier.fr", "password": "x"})
        assert login.status_code in (400, 503)  # CSRF is checked first; never a 500
        api = client.get("/api/places/buildings?site=1", headers={"Accept": "application/json"})
        assert api.status_code == 503
        assert api.json["error"] == "Service indisponible"
    finally:
        private_pg.start()
    # Back: the dead pooled connections are replaced, the user's session still works.
    assert client.get(f"/mes-demandes/{reference}").status_code == 200


def test_postgresql_stopped_speaks_the_language_the_user_chose(pg_app, private_pg):
    """With the server stopped the signed-in user cannot be read: the page spoke the browser's
    language, not the one the user chose in desk. It is remembered in their session now."""
    with pg_app.app_context():
        make_user("lea@umontpellier.fr", locale="fr")
        make_user("sam@umontpellier.fr", locale="en")
    french, english = pg_app.test_client(), pg_app.test_client()
    french.login("lea@umontpellier.fr")
    english.login("sam@umontpellier.fr")
    assert french.get("/home", headers={"Accept-Language": "en"}).status_code == 200
    private_pg.stop()
    try:
        page = french.get("/home", headers={"Accept-Language": "en"})
        _assert_outage_page(page, "Service indisponible")
        assert 'lang="fr"' in page.text
        page = english.get("/mes-demandes", headers={"Accept-Language": "fr"})
        _assert_outage_page(page, "Service unavailable")
        assert 'lang="en"' in page.text
        api = french.get("/api/places/buildings?site=1", headers={"Accept-Language": "en"})
        assert (api.status_code, api.json["error"]) == (503, "Service indisponible")
    finally:
        private_pg.start()
    assert french.get("/home", headers={"Accept-Language": "en"}).status_code == 200


def test_postgresql_stopped_logs_no_rating_links_token(pg_app, private_pg, capsys):
    """The outage's error line names the path: the signed link's token stays out of it."""
    from desk.satisfaction.services import link_token

    with pg_app.app_context():
        token = link_token("DEM-2026-000001", 1)
    private_pg.stop()
    try:
        capsys.readouterr()
        page = pg_app.test_client().get(f"/evaluation/{token}")
        _assert_outage_page(page, "Service indisponible")
    finally:
        private_pg.start()
    out = capsys.readouterr().out
    assert "dependency unavailable on GET /evaluation/[hidden]: OperationalError" in out
    assert token not in out


def test_postgresql_hung_gives_desks_503_not_a_hung_request(app, test_env, pg_app, private_pg):
    """A server that accepts connections and never answers (its postmaster stopped; packets
    to a host gone without a refusal look the same): libpq waited for ever, and so did every
    request that needed a new connection, until gunicorn killed its worker."""
    from desk.core.db import CONNECT_TIMEOUT_SECONDS

    fresh = create_app({"SQLALCHEMY_DATABASE_URI": private_pg.url("desk")})  # nothing pooled
    _keep_the_sessions_celery(app)
    answers: dict = {}

    def ask() -> None:
        client = fresh.test_client()
        started = time.monotonic()
        answers["page"] = client.get("/aide/suggestions?q=wifi", headers={"Accept-Language": "en"})
        answers["health"] = client.get("/healthz")
        answers["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=ask, daemon=True)
    private_pg.freeze()
    try:
        thread.start()
        thread.join(6 * CONNECT_TIMEOUT_SECONDS)
        hung = thread.is_alive()
    finally:
        private_pg.thaw()
        thread.join(30)
    with fresh.app_context():
        db.engine.dispose()
    assert not hung, "a request waited for the hung server"
    _assert_outage_page(answers["page"], "Service unavailable")
    health = answers["health"]
    assert (health.status_code, health.json["database"]) == (503, "error: OperationalError")
    assert answers["seconds"] < 4 * CONNECT_TIMEOUT_SECONDS + 2


def test_postgresql_lost_in_the_middle_of_a_request(pg_app, private_pg):
    """The server goes away after the user was loaded: the page is still desk's own 503."""
    with pg_app.app_context():
        make_user("paul@umontpellier.fr", locale="en")
    client = pg_app.test_client()
    client.login("paul@umontpellier.fr")
    try:
        response = client.get("/probe/pg-crash", headers={"Accept-Language": "fr"})
        # The user was already loaded, so the page is in their language (English).
        _assert_outage_page(response, "Service unavailable")
    finally:
        private_pg.start()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on return: nothing listens there


def test_redis_unreachable_gives_desks_503(app, test_env):
    application = create_app({"REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0"})
    _keep_the_sessions_celery(app)
    probe = Blueprint("probe_redis", __name__)

    @probe.get("/probe/redis")
    @access(PUBLIC)
    def uses_redis():
        get_redis().incr("probe")
        return "unreachable"

    application.register_blueprint(probe)
    response = application.test_client().get("/probe/redis", headers={"Accept-Language": "en"})
    _assert_outage_page(response, "Service unavailable")
    assert "temporarily unavailable because of a technical problem" in response.text


def test_postgresql_stopped_metrics_say_so_and_healthz_is_down(pg_app, private_pg, monkeypatch):
    """The scrape answered desk's 503 page: Prometheus read "desk down", not "database down",
    and lost Redis' gauge and the web's request counts with it."""
    monkeypatch.setitem(pg_app.config, "METRICS_TOKEN", "outage-metrics-token")
    client = pg_app.test_client()
    token = {"Authorization": "Bearer outage-metrics-token"}
    assert "desk_database_up 1.0" in client.get("/metrics", headers=token).text
    private_pg.stop()
    try:
        scrape = client.get("/metrics", headers=token)
        assert scrape.status_code == 200
        assert "desk_database_up 0.0" in scrape.text and "desk_redis_up 1.0" in scrape.text
        assert "desk_http_requests_total" in scrape.text and "desk_outbox_rows" not in scrape.text
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json["status"] == "down" and health.json["redis"] == "ok"
        assert health.json["database"].startswith("error: ")
    finally:
        private_pg.start()
    back = client.get("/metrics", headers=token).text
    assert "desk_database_up 1.0" in back and "desk_outbox_rows" in back
