"""Behind DESK_TRUSTED_PROXIES reverse proxies, the client address and scheme are theirs."""

from __future__ import annotations

import os

from flask import Blueprint, request

from desk import create_app
from desk.core.access import PUBLIC, access

FORWARDED = {"X-Forwarded-For": "192.0.2.7", "X-Forwarded-Proto": "https"}


def _probe_app(hops: int):
    from config import TestingConfig

    application = create_app(TestingConfig({**os.environ, "DESK_TRUSTED_PROXIES": str(hops)}))
    bp = Blueprint("probe", __name__)

    @bp.get("/probe/client")
    @access(PUBLIC)
    def client():
        return f"{request.remote_addr} {request.scheme}"

    application.register_blueprint(bp)
    return application


def test_with_one_trusted_proxy_the_forwarded_address_and_scheme_are_used(app, test_env):
    probe = _probe_app(1).test_client()
    response = probe.get("/probe/client", headers=FORWARDED)
    assert response.text == "192.0.2.7 https"


def test_by_default_forwarded_headers_are_ignored(app, test_env):
    probe = _probe_app(0).test_client()
    response = probe.get("/probe/client", headers=FORWARDED)
    assert response.text == "127.0.0.1 http"


def test_only_the_trusted_hops_are_believed(app, test_env):
    probe = _probe_app(1).test_client()
    # A client's own forged entry comes first; the proxy appends the address it saw.
    headers = {"X-Forwarded-For": "10.9.9.9, 192.0.2.7"}
    assert probe.get("/probe/client", headers=headers).text.startswith("192.0.2.7 ")
