"""One browser, one live server and one data set for each accessibility module."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from tests.a11y.world import build_world
from tests.support.live_server import launch_chromium


@pytest.fixture(scope="module")
def browser():
    """A headless Debian Chromium for the whole module (fails under CI when missing)."""
    with launch_chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def site(app) -> Iterator[str]:
    """The demo data behind a live server, for the whole module; yields the base URL."""
    from desk.extensions import db
    from tests.support.database import truncate_all

    with app.app_context():
        truncate_all()
    build_world(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        # Leave the database as the per-test cleanup does: a module run after this one in
        # the same session (e.g. another browser module loading the demo file) starts empty
        # instead of meeting these rows as duplicate keys.
        with app.app_context():
            db.session.remove()
            truncate_all()
            app.extensions["redis"].flushdb()


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    """Overrides the suite's per-test cleanup: here the data lives as long as the module
    (built and emptied by `site`), so that the pages are crawled once, not once per test."""
    yield
