"""/healthz: 503 when the database is down; 200 "degraded" for Redis or a stale worker; the
mailboxes and the directory sync told for information, never a reason for a 503."""

from __future__ import annotations

import datetime as dt
import os

import redis

from desk.core.db import utcnow
from desk.core.services import POLL_FAILED, POLL_OK, record_heartbeat
from desk.extensions import db
from desk.identity.models import DirectorySync


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


def test_mailboxes_and_directory_are_told_not_counted(app, client, tmp_path, monkeypatch):
    """A mailbox whose poll fails and a directory sync that failed are in the body; the
    answer stays 200 "ok": a load balancer must not take the web out for them."""
    monkeypatch.setitem(app.config, "INBOUND_MAILDIR", str(tmp_path / "Maildir"))
    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", "imaps://desk:x@127.0.0.1:1/INBOX")
    monkeypatch.setitem(app.config, "LDAP_URL", "ldap://127.0.0.1:1")
    read_at = utcnow() - dt.timedelta(seconds=20)
    with app.app_context():
        record_heartbeat("celery@host1")
        assert client.get("/healthz").json["mailboxes"] == {
            "maildir": {"state": "never read", "last_read": None},
            "imap": {"state": "never read", "last_read": None},
        }
        assert client.get("/healthz").json["directory"] == {
            "state": "never synced",
            "last_completed": None,
        }
        record_heartbeat(f"{POLL_OK}maildir", at=read_at)
        record_heartbeat(f"{POLL_OK}imap", at=read_at)
        record_heartbeat(f"{POLL_FAILED}imap")  # its last poll: the login refused
        finished = utcnow() - dt.timedelta(hours=1)
        db.session.add_all(
            [
                DirectorySync(started_at=finished, finished_at=finished, status="ok"),
                DirectorySync(started_at=utcnow(), finished_at=utcnow(), status="failed"),
            ]
        )
        db.session.commit()
    response = client.get("/healthz")
    assert (response.status_code, response.json["status"]) == (200, "ok")
    assert response.json["mailboxes"] == {
        "maildir": {"state": "ok", "last_read": read_at.isoformat()},
        "imap": {"state": "failing", "last_read": read_at.isoformat()},
    }
    assert response.json["directory"] == {
        "state": "failed",
        "last_completed": finished.isoformat(),
    }


def test_without_mailboxes_or_directory_neither_is_told(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "INBOUND_MAILDIR", "")
    monkeypatch.setitem(app.config, "INBOUND_IMAP_URL", "")
    monkeypatch.setitem(app.config, "LDAP_URL", "")
    body = client.get("/healthz").json
    assert "mailboxes" not in body and "directory" not in body


def test_database_down_leaves_mailboxes_and_directory_unknown(app, test_env, tmp_path):
    from config import TestingConfig
    from desk import create_app

    dead = "postgresql+psycopg://postgres@127.0.0.1:1/desk"
    if test_env["DESK_TEST_DATABASE_URL"].startswith("sqlite"):
        dead = "sqlite:////nonexistent-dir/desk.sqlite3"
    env = {
        **os.environ,
        "DESK_TEST_DATABASE_URL": dead,
        "DESK_INBOUND_MAILDIR": str(tmp_path),
        "DESK_LDAP_URL": "ldap://127.0.0.1:1",
    }
    broken = create_app(TestingConfig(env))
    app.extensions["celery"].set_default()  # create_app made the broken app's Celery current
    response = broken.test_client().get("/healthz")
    assert (response.status_code, response.json["status"]) == (503, "down")
    assert response.json["mailboxes"] == {"maildir": {"state": "unknown", "last_read": None}}
    assert response.json["directory"] == {"state": "unknown", "last_completed": None}
