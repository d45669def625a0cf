"""Fixtures of the core tests: a live server and Chromium (CSP test), and the demo-like
catalogue (request ids followed from a submission into the worker)."""

from tests.support.catalog_fixtures import staff, world
from tests.support.live_server import chromium, live_server

__all__ = ["chromium", "live_server", "staff", "world"]
