"""A live server and a headless Chromium, for the tests that drive a real browser.

The browser is Debian's /usr/bin/chromium driven by Playwright (never a downloaded one).
When it is missing the tests are skipped locally but fail under CI=true, so a CI run cannot
pass without having exercised the JavaScript.

Fixtures here are imported by the conftest.py of each folder that has browser tests; the
plain helpers (`new_page`, `log_in`) are imported by the tests themselves.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's Chromium (or the one named by DESK_CHROMIUM), None when not installed."""
    configured = os.environ.get("DESK_CHROMIUM", "/usr/bin/chromium")
    if Path(configured).is_file():
        return configured
    return shutil.which("chromium")


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on a free local port from a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def chromium():
    """A headless Chromium, closed after the test."""
    with launch_chromium() as browser:
        yield browser


@contextlib.contextmanager
def launch_chromium():
    """Debian's headless Chromium through Playwright; fails under CI=true when missing."""
    executable = chromium_path()
    if executable is None:
        message = "Chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, *, javascript: bool = True):
    """A page in a fresh context (own cookies), in French like most users."""
    context = browser.new_context(locale="fr-FR", java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page, base: str, email: str, password: str = "password") -> None:
    """Log in through the real login page and wait for the home page."""
    from playwright.sync_api import expect

    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/home")
