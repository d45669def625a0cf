"""PostgreSQL or Redis that stops answering while keeping the connection open (its process
stopped, a network path that drops packets): desk's 503 page within a few seconds, in the
user's language, then the pages again once it answers; nothing half-saved.

The servers are the test session's own, behind a proxy of this test that stops forwarding on
command (tests/support/tcp_proxy.py): the shared servers are never touched.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from flask import Blueprint, Flask
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from desk import create_app
from desk.core.access import PUBLIC, access
from desk.extensions import db, get_redis
from desk.tickets.models import TicketEvent
from tests.conftest import Client
from tests.security.test_outage import _assert_outage_page, _keep_the_sessions_celery
from tests.support.factories import make_ticket, make_user
from tests.support.tcp_proxy import FreezableProxy

DATABASE_TIMEOUT = 1.0
CONNECT_TIMEOUT = 2  # libpq's smallest
SLACK = 1.5  # the watchdog's tick (a quarter of the timeout) and a loaded machine
# The test database's other sessions still inside a transaction (the cut one, until the
# server reads the end of its connection).
_BUSY_SESSIONS = db.text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
)


def _timed(request, seconds: float):
    """Run `request()` in a thread: (its answer, seconds taken); fails if it is still
    waiting after `seconds` (then it would have hung until gunicorn's timeout)."""
    answer: dict = {}

    def run() -> None:
        started = time.monotonic()
        try:
            answer["response"] = request()
        except BaseException as exc:  # handed to the test's thread
            answer["error"] = exc
        answer["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the request still waited after {seconds} s"
    if "error" in answer:
        raise answer["error"]
    return answer["response"], answer["seconds"]


@pytest.fixture
def pg_proxy(app, test_env) -> Iterator[tuple[FreezableProxy, str]]:
    """A proxy in front of the test database, and the database's URL through it."""
    url = make_url(test_env["DESK_TEST_DATABASE_URL"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("SQLite is a file: no server to stop answering")
    with FreezableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(
            drivername="postgresql+psycopg",
            host="127.0.0.1",
            port=proxy.port,
            query={**url.query, "connect_timeout": str(CONNECT_TIMEOUT)},
        )
        yield proxy, proxied.render_as_string(hide_password=False)


@pytest.fixture
def proxied_app(app, pg_proxy) -> Iterator[Flask]:
    """desk on the test database, through the proxy."""
    application = create_app(
        {"SQLALCHEMY_DATABASE_URI": pg_proxy[1], "DATABASE_TIMEOUT": DATABASE_TIMEOUT}
    )
    _keep_the_sessions_celery(app)
    application.test_client_class = Client
    yield application
    with application.app_context():
        db.engine.dispose()


def test_a_frozen_postgresql_answers_the_503_page_within_the_timeout(app, proxied_app, pg_proxy):
    """A pooled connection to a server that stopped answering waited for ever: the request
    hung until gunicorn's timeout. Now it gives up after DESK_DATABASE_TIMEOUT."""
    proxy = pg_proxy[0]
    with app.app_context():
        make_user("marie@umontpellier.fr")  # no language chosen: her browser's
        reference = make_ticket(requester=make_user("paul@umontpellier.fr")).reference
    marie = proxied_app.test_client()
    marie.login("marie@umontpellier.fr")
    paul = proxied_app.test_client()
    paul.login("paul@umontpellier.fr")
    page = f"/mes-demandes/{reference}"
    assert paul.get(page).status_code == 200  # the pool holds a connection

    for client, path, language, title in (
        (marie, "/mes-demandes", "fr", "Service indisponible"),
        (paul, page, "en", "Service unavailable"),
    ):
        proxy.freeze()
        try:
            response, seconds = _timed(
                lambda c=client, p=path, la=language: c.get(p, headers={"Accept-Language": la}),
                20,
            )
        finally:
            proxy.thaw()
        _assert_outage_page(response, title)
        assert seconds < DATABASE_TIMEOUT + SLACK
        # Answering again: the cut connection was replaced.
        assert client.get(path, headers={"Accept-Language": language}).status_code == 200


def test_a_server_frozen_while_a_comment_is_saved_saves_none_of_it(app, proxied_app, pg_proxy):
    """The server stops answering at the comment's first INSERT: the 503 page comes within
    the timeout, and once the server answers again nothing of the comment is there."""
    proxy = pg_proxy[0]
    with app.app_context():
        user = make_user("lea@umontpellier.fr", locale="fr")
        ticket = make_ticket(requester=user)
        reference, ticket_id = ticket.reference, ticket.id
        events = db.session.scalar(select(func.count()).where(TicketEvent.ticket_id == ticket_id))
    client = proxied_app.test_client()
    client.login("lea@umontpellier.fr")
    assert client.get(f"/mes-demandes/{reference}").status_code == 200
    token = client.last_csrf

    with proxied_app.app_context():
        engine = db.engine

    def freeze_at_the_insert(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            proxy.freeze()

    event.listen(engine, "before_cursor_execute", freeze_at_the_insert)
    try:
        response, seconds = _timed(
            lambda: client.post(
                f"/mes-demandes/{reference}/commentaire",
                data={"csrf_token": token, "body": "Toujours en panne"},
                headers={"Accept-Language": "en"},
            ),
            20,
        )
    finally:
        event.remove(engine, "before_cursor_execute", freeze_at_the_insert)
        proxy.thaw()
    _assert_outage_page(response, "Service indisponible")  # her language, not the browser's
    assert seconds < DATABASE_TIMEOUT + SLACK
    # The proxy has now handed the server the INSERT and then the end of the connection.
    with app.app_context():
        for _ in range(50):
            busy = db.session.scalar(_BUSY_SESSIONS)
            db.session.rollback()
            if not busy:
                break
            time.sleep(0.1)
        saved = db.session.scalar(select(func.count()).where(TicketEvent.ticket_id == ticket_id))
        assert saved == events
    assert client.get(f"/mes-demandes/{reference}").status_code == 200


def test_a_task_on_a_frozen_postgresql_fails_within_the_workers_timeout(app, pg_proxy):
    """A Celery task's statement gets DESK_WORKER_DATABASE_TIMEOUT: the task fails with the
    database error instead of holding its worker for ever; the next run succeeds."""
    proxy, url = pg_proxy
    application = create_app({"SQLALCHEMY_DATABASE_URI": url, "WORKER_DATABASE_TIMEOUT": 1.0})
    heartbeat = application.extensions["celery"].tasks["desk.core.heartbeat"]
    try:
        assert heartbeat.apply(args=["h4-probe"]).successful()  # the pool holds a connection
        proxy.freeze()
        try:
            result, seconds = _timed(lambda: heartbeat.apply(args=["h4-probe"]), 20)
        finally:
            proxy.thaw()
        assert result.failed() and "OperationalError" in type(result.result).__name__
        assert seconds < 1.0 + SLACK
        assert heartbeat.apply(args=["h4-probe"]).successful()
    finally:
        _keep_the_sessions_celery(app)
        with application.app_context():
            db.engine.dispose()


def test_a_worker_process_gives_up_on_a_frozen_postgresql(app, test_env, pg_proxy):
    """The same in a real prefork worker (its child forked with the app's pool): the task's
    statement is cut after the timeout, the child takes the next task, which succeeds once
    the server answers again."""
    from pathlib import Path

    from desk.core.models import WorkerHeartbeat
    from desk.core.tasks import heartbeat
    from tests.support.processes import wait_for_log
    from tests.support.worker import WorkerProcess

    proxy, url = pg_proxy
    env = {**test_env, "DESK_TEST_DATABASE_URL": url, "DESK_WORKER_DATABASE_TIMEOUT": "1"}
    worker = WorkerProcess(env, pool="prefork").start()
    log = Path(worker.log.name)

    def seen(name: str) -> bool:
        with app.app_context():
            found = db.session.get(WorkerHeartbeat, name) is not None
            db.session.rollback()
            return found

    try:
        heartbeat.delay("before")
        _wait(lambda: seen("before"), "the first heartbeat")  # the child's pool is warm
        proxy.freeze()
        try:
            started = time.monotonic()
            heartbeat.delay("frozen")
            wait_for_log(log, "OperationalError", timeout=20)
            seconds = time.monotonic() - started
        finally:
            proxy.thaw()
        assert seconds < 1 + SLACK + 1  # the task's delivery, then its cut statement
        heartbeat.delay("after")
        _wait(lambda: seen("after"), "the heartbeat after the thaw")
        assert not seen("frozen")
    finally:
        worker.stop()


def test_gunicorn_answers_the_503_page_on_a_frozen_postgresql(test_env, pg_proxy, tmp_path):
    """desk as production serves it (a gunicorn sync worker forked from its master): the
    French outage page within the timeout, not a worker killed at gunicorn's."""
    import http.client

    from tests.support.processes import running_gunicorn

    proxy, url = pg_proxy
    env = {**test_env, "DESK_TEST_DATABASE_URL": url, "DESK_DATABASE_TIMEOUT": "1"}

    def get(port: int, path: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", path, headers={"Accept-Language": "fr"})
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    with running_gunicorn(env, tmp_path / "gunicorn.log", WEB_CONCURRENCY="1") as port:
        assert get(port, "/aide/suggestions?q=wifi")[0] == 200  # the worker's pool is warm
        proxy.freeze()
        try:
            (status, text), seconds = _timed(lambda: get(port, "/aide/suggestions?q=wifi"), 25)
        finally:
            proxy.thaw()
        assert status == 503 and "Service indisponible" in text
        assert seconds < 1 + SLACK
        assert get(port, "/aide/suggestions?q=wifi")[0] == 200


def _wait(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not come"
        time.sleep(0.1)


@pytest.fixture
def redis_proxy(app, test_env) -> Iterator[tuple[FreezableProxy, str]]:
    """A proxy in front of the test Redis, and its URL through it."""
    url = make_url(test_env["DESK_TEST_REDIS_URL"].replace("redis://", "postgresql://", 1))
    with FreezableProxy(url.host or "127.0.0.1", url.port or 6379) as proxy:
        yield proxy, f"redis://127.0.0.1:{proxy.port}/{url.database or 0}"


def test_a_frozen_redis_answers_the_503_page_within_its_timeout(app, redis_proxy):
    """A page that needs Redis: desk's 503 within DESK_REDIS_TIMEOUT, then the page again;
    a page that can do without it is answered meanwhile."""
    proxy, url = redis_proxy
    application = create_app({"REDIS_URL": url, "REDIS_TIMEOUT": 0.5})
    _keep_the_sessions_celery(app)
    probe = Blueprint("probe_frozen_redis", __name__)

    @probe.get("/probe/frozen-redis")
    @access(PUBLIC)
    def uses_redis():
        """Needs Redis."""
        get_redis().incr("probe")
        return "counted"

    application.register_blueprint(probe)
    client = application.test_client()
    assert client.get("/probe/frozen-redis").text == "counted"  # its pool holds a connection
    proxy.freeze()
    try:
        for language, title in (("fr", "Service indisponible"), ("en", "Service unavailable")):
            response, seconds = _timed(
                lambda language=language: client.get(
                    "/probe/frozen-redis", headers={"Accept-Language": language}
                ),
                20,
            )
            _assert_outage_page(response, title)
            assert seconds < 2 * 0.5 + SLACK  # a read, then a new connection's attempt
        login_page, seconds = _timed(lambda: client.get("/login"), 20)
        assert login_page.status_code == 200 and seconds < 2 * 0.5 + SLACK
    finally:
        proxy.thaw()
    assert client.get("/probe/frozen-redis").text == "counted"
