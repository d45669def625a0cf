"""Fixtures of the knowledge-base tests: the demo catalogue with its articles."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.live_server import chromium, live_server

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "desk/reference/data/demo.yaml"
ARTICLES = ROOT / "desk/kb/data/articles.yaml"

__all__ = ["chromium", "demo_kb", "live_server"]


@pytest.fixture(scope="session")
def catalogue_only(tmp_path_factory) -> Path:
    """The demo file without its users, places and calendars: what the articles refer to,
    without the password hashing that makes the whole file slow to load in every test."""
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    keep = {k: data[k] for k in ("domains", "queues", "request_types")}
    path = tmp_path_factory.mktemp("kb") / "catalogue.yaml"
    path.write_text(yaml.safe_dump(keep, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def demo_kb(app_ctx, catalogue_only):
    """The demo catalogue and the demo articles, loaded with `load-reference`."""
    from desk.reference.loader import load_reference

    load_reference(catalogue_only)
    load_reference(ARTICLES)
    return app_ctx
