"""The live server and headless Chromium of the CSP browser test."""

from tests.support.live_server import chromium, live_server

__all__ = ["chromium", "live_server"]
