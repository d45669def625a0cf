"""Fixtures of the portal tests: the demo-like catalogue and a staff requester."""

# Imported so that pytest finds them in this folder; they are shared with the
# catalogue tests.
from tests.support.catalog_fixtures import staff, world

__all__ = ["staff", "world"]
