"""The directory sync as an operator watches it: a failing run and a late one show in /metrics."""

from __future__ import annotations

import math
import re
import socket

from desk.extensions import db
from desk.identity.directory import get_directory
from desk.identity.sync import sync_directory

TOKEN = {"Authorization": "Bearer sync-metrics-token"}


def _value(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"{name} not in:\n{text}"
    return float(match.group(1))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on return: nothing listens there


def _scrape(app) -> str:
    return app.test_client().get("/metrics", headers=TOKEN).text


def test_a_failed_sync_shows_until_one_succeeds(cas_app, slapd, app_ctx):
    cas_app.config["METRICS_TOKEN"] = "sync-metrics-token"
    assert math.isinf(_value(_scrape(cas_app), "desk_directory_sync_age_seconds"))

    ldap_url = cas_app.config["LDAP_URL"]
    cas_app.config["LDAP_URL"] = f"ldap://127.0.0.1:{_closed_port()}"
    assert sync_directory(get_directory(cas_app.config)).status == "failed"
    db.session.commit()
    text = _scrape(cas_app)
    assert _value(text, "desk_directory_sync_failing") == 1
    assert math.isinf(_value(text, "desk_directory_sync_age_seconds"))

    cas_app.config["LDAP_URL"] = ldap_url
    assert sync_directory(get_directory(cas_app.config)).status == "ok"
    db.session.commit()
    text = _scrape(cas_app)
    assert _value(text, "desk_directory_sync_failing") == 0
    assert _value(text, "desk_directory_sync_age_seconds") < 60


def test_no_directory_no_sync_metrics(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "sync-metrics-token")
    monkeypatch.setitem(app.config, "LDAP_URL", "")
    assert "desk_directory_sync" not in _scrape(app)
