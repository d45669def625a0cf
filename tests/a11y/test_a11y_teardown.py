"""Runs after the other modules of this folder (file order): the data their `site` fixture
built must be gone, so that the next module of the session starts from empty tables."""

from __future__ import annotations

from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db


def test_the_site_fixture_left_no_rows(app):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
