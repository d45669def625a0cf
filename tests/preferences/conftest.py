"""The live server and headless Chromium of the preferences browser test (shared helpers)."""

from tests.support.live_server import chromium, live_server

__all__ = ["chromium", "live_server"]
