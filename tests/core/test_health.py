"""/healthz: 503 when the database is down; 200 "degraded" for Redis or a stale worker."""

from __future__ import annotations

import datetime as dt
import os

import redis

from desk.core.db import utcnow
from desk.core.services import record_heartbeat


def test_health_ok_with_a_recent_heartbeat(app, client):
    with app.app_context():
        record_heartbeat("celery@host1", at=utcnow() - dt.timedelta(seconds=30))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert (body["status"], body["database"], body["redis"]) == ("ok", "ok", "ok")
    assert body["worker"]["state"] == "ok"
    assert body["worker"]["stale_after_seconds"] == app.config["WORKER_STALE_SECONDS"]


def test_worker_never_seen_or_stale_is_degraded_not_down(app, client):
    response = client.get("/healthz")
    assert (response.status_code, response.json["status"]) == (200, "degraded")
    assert response.json["worker"] == {
        "last_seen": None,
        "stale_after_seconds": app.config["WORKER_STALE_SECONDS"],
        "state": "never seen",
    }
    stale = app.config["WORKER_STALE_SECONDS"]
    with app.app_context():
        record_heartbeat("celery@host1", at=utcnow() - dt.timedelta(seconds=stale + 5))
    response = client.get("/healthz")
    assert (response.status_code, response.json["status"]) == (200, "degraded")
    assert response.json["worker"]["state"] == "stale"
    # The newest heartbeat of any worker counts: one live worker is enough.
    with app.app_context():
        record_heartbeat("celery@host2", at=utcnow())
    assert client.get("/healthz").json["status"] == "ok"


def test_redis_down_is_degraded_and_named(app, client):
    with app.app_context():
        record_heartbeat("celery@host1")
    good = app.extensions["redis"]
    app.extensions["redis"] = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        response = client.get("/healthz")
    finally:
        app.extensions["redis"] = good
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["redis"].startswith("error")
    assert response.json["database"] == "ok"


def test_database_down_is_503_and_named(app, test_env):
    from config import TestingConfig
    from desk import create_app

    dead = "postgresql+psycopg://postgres@127.0.0.1:1/desk"
    if test_env["DESK_TEST_DATABASE_URL"].startswith("sqlite"):
        dead = "sqlite:////nonexistent-dir/desk.sqlite3"
    broken = create_app(TestingConfig({**os.environ, "DESK_TEST_DATABASE_URL": dead}))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "down"
    assert response.json["database"].startswith("error")
    assert response.json["redis"] == "ok"
    assert response.json["worker"]["state"] == "unknown"
    app.extensions["celery"].set_default()  # create_app made the broken app's Celery current
