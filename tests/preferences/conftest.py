"""A live server and a headless Chromium, for the browser test of the preferences page.

The browser is Debian's /usr/bin/chromium driven by Playwright (never a downloaded one).
When it is missing the test is skipped locally but fails under CI=true.
"""

from __future__ import annotations

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


def _chromium_path() -> str | None:
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
    executable = _chromium_path()
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
