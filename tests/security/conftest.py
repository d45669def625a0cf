"""Fixtures of the security tests: the demo-like catalogue, a staff requester, the browser."""

from tests.support.catalog_fixtures import staff, world
from tests.support.live_server import chromium, live_server

__all__ = ["chromium", "live_server", "staff", "world"]
