"""Security headers on every response; no inline script or style left for the CSP to block."""

from __future__ import annotations

import os
import re
from pathlib import Path

from desk import create_app
from tests.support.factories import make_user

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE = (r"\sstyle=", r"<style", r"<script(?![^>]*\bsrc=)", r"\son[a-z]+=", "javascript:")


def _csp(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_a_public_page_has_the_headers(client):
    response = client.get("/login")
    csp = _csp(response)
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # DESK_SECURE_COOKIES is off
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_error_pages_and_json_have_them_too(client):
    for response in (client.get("/no-such-page"), client.get("/healthz")):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_logged_in_pages_are_not_stored_by_the_browser(login, app_ctx):
    c = login(make_user())
    for url in ("/home", "/preferences", "/mes-demandes"):
        response = c.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
        assert response.headers["X-Frame-Options"] == "DENY", url


def test_hsts_only_when_secure_cookies_are_on(app, test_env, app_ctx):
    from config import TestingConfig

    secure = create_app(TestingConfig({**os.environ, "DESK_SECURE_COOKIES": "true"}))
    response = secure.test_client().get("/login", base_url="https://desk.example")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    user = make_user()
    with secure.test_client() as c:
        c.get("/login", base_url="https://desk.example")
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    del user
    plain = app.test_client().get("/login", base_url="https://desk.example")
    assert "Strict-Transport-Security" not in plain.headers


def test_templates_have_no_inline_script_style_or_handler():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if "emails" in path.parts:  # e-mail HTML is read by mail clients, never served by desk
            continue
        text = path.read_text()
        for pattern in (
            r"\sstyle=",
            r"<style",
            r"<script(?![^>]*\bsrc=)",
            r"\son[a-z]+=",
            "javascript:",
        ):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert offenders == []


def test_with_cas_sign_in_forms_may_redirect_to_the_cas_only(app, client):
    """The logout form redirects to the CAS logout: form-action must allow that origin."""
    saved = {key: app.config[key] for key in ("AUTH", "CAS_URL")}
    app.config.update(AUTH="cas", CAS_URL="https://cas.example.edu/cas")
    try:
        csp = client.get("/login").headers["Content-Security-Policy"]
    finally:
        app.config.update(saved)
    assert "form-action 'self' https://cas.example.edu;" in csp + ";"
    assert "form-action 'self';" in client.get("/login").headers["Content-Security-Policy"] + ";"
