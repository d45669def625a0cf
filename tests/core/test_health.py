"""/healthz reports the database and Redis."""

from __future__ import annotations

import redis


def test_health_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"
    assert response.json["redis"] == "ok"


def test_health_reports_redis_down_with_503(app, client):
    good = app.extensions["redis"]
    app.extensions["redis"] = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        response = client.get("/healthz")
    finally:
        app.extensions["redis"] = good
    assert response.status_code == 503
    assert response.json["redis"].startswith("error")
    assert response.json["database"] == "ok"
