"""Fixtures of the statement tests: the demo reference file loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

DEMO = Path(__file__).resolve().parents[2] / "desk/reference/data/demo.yaml"


@pytest.fixture
def demo(app_ctx):
    """The demo file loaded: the statement, its catalogue entry, the demo accounts."""
    from desk.reference.loader import load_reference

    load_reference(DEMO)


@pytest.fixture
def demo_user(demo):
    """Return the demo account with this e-mail."""
    from desk.auth.models import User
    from desk.extensions import db

    return lambda email: db.session.scalar(select(User).filter_by(email=email))
