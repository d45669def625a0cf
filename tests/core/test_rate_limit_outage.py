"""A Redis outage under the rate limits: requests still go through (limits are skipped, as
RATELIMIT_SWALLOW_ERRORS says), and the logs tell the outage once when it starts, once per
interval while it lasts and when Redis answers again, not a traceback per request."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from desk import create_app
from tests.conftest import Client
from tests.support.redis_server import RedisServer, free_port

SEARCH = "/aide/suggestions?q=wifi"  # limited (the suggestions' budget), public, no Redis else


def _limiter_lines(text: str) -> list[dict]:
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [e for e in lines if e["logger"] in ("flask-limiter", "desk.core.limiter")]


def _app_on(app: Flask, redis_url: str) -> Flask:
    application = create_app({"REDIS_URL": redis_url})
    # create_app made its own Celery app current: put the session's back for later tests.
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()
    application.test_client_class = Client
    return application


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


def test_an_unreachable_redis_is_logged_once_not_per_request(app, test_env, capsys):
    cut_off = _app_on(app, f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    client = cut_off.test_client()
    capsys.readouterr()
    for _ in range(6):
        assert client.get(SEARCH).status_code == 200  # not limited, not an error
    lines = _limiter_lines(capsys.readouterr().out)
    assert [(e["level"], e["logger"]) for e in lines] == [("WARNING", "desk.core.limiter")], lines
    assert lines[0]["message"].startswith("rate limits not enforced: their Redis does not answer")
    assert "ConnectionError" in lines[0]["message"]
    assert "exc_info" not in lines[0]


def test_an_outage_is_told_again_while_it_lasts_and_when_it_ends(
    app, test_env, private_redis, capsys
):
    application = _app_on(app, private_redis.url)
    application.extensions["ratelimit_outage"].every = 0.5  # a minute in production
    application.extensions["ratelimit_outage"].rest = 0  # every request tries Redis
    client = application.test_client()
    assert client.get(SEARCH).status_code == 200
    assert _limiter_lines(capsys.readouterr().out) == []

    private_redis.kill()
    for _ in range(3):
        assert client.get(SEARCH).status_code == 200
    time.sleep(0.6)
    assert client.get(SEARCH).status_code == 200
    lines = _limiter_lines(capsys.readouterr().out)
    assert [e["message"].split(":")[0] for e in lines] == [
        "rate limits not enforced",
        "rate limits still not enforced",
    ], lines
    assert "3 requests let through unchecked" in lines[1]["message"]
    assert all("exc_info" not in e for e in lines)

    private_redis.start()  # on the same port
    for _ in range(3):  # a pooled connection may still be the dead server's for one request
        assert client.get(SEARCH).status_code == 200
    lines = _limiter_lines(capsys.readouterr().out)
    assert lines and len(lines) <= 2, lines
    assert lines[-1]["level"] == "INFO"
    assert lines[-1]["message"].startswith("rate limits enforced again: Redis answers after")
    assert all(e["level"] == "WARNING" for e in lines[:-1])
    # And the limits hold again.
    application.config["RATELIMIT_SUGGEST"] = "1 per minute"
    assert [client.get(SEARCH).status_code for _ in range(2)] == [200, 429]


def test_a_frozen_redis_holds_one_request_not_each(app, test_env, private_redis, capsys):
    """A hung Redis answers nothing until the socket's timeout (1 s): every limited request
    waited for it, and under load the suggestions held every web worker. Now one request
    waits, the next ones go through at once until the storage is tried again."""
    application = _app_on(app, private_redis.url)
    outage = application.extensions["ratelimit_outage"]
    outage.rest = 2.0  # 5 s in production
    client = application.test_client()

    def timed() -> float:
        started = time.monotonic()
        assert client.get(SEARCH).status_code == 200
        return time.monotonic() - started

    timed()
    private_redis.freeze()
    try:
        first, *others = [timed() for _ in range(6)]
        assert first >= 0.9, first  # the timeout, once
        assert max(others) < 0.5, others
        time.sleep(outage.rest)
        assert timed() >= 0.9  # tried again: still frozen
        assert timed() < 0.5
    finally:
        private_redis.thaw()
    time.sleep(outage.rest)
    assert timed() < 0.5  # tried again: it answers
    lines = _limiter_lines(capsys.readouterr().out)
    assert lines[0]["message"].startswith("rate limits not enforced: their Redis does not answer")
    assert lines[-1]["message"].startswith("rate limits enforced again: Redis answers after")
    assert "(7 requests let through unchecked" in lines[-1]["message"], lines
    application.config["RATELIMIT_SUGGEST"] = "1 per minute"
    assert [client.get(SEARCH).status_code for _ in range(2)] == [200, 429]
