"""Fixtures of the catalogue tests: the demo-like catalogue and a staff requester."""

# Imported so that pytest finds them in this folder; they are shared with the
# portal tests (catalogue) and the preferences tests (live server, browser).
from tests.support.catalog_fixtures import staff, world
from tests.support.live_server import chromium, live_server

__all__ = ["chromium", "live_server", "staff", "world"]
