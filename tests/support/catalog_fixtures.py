"""Fixtures shared by the catalogue and portal tests: the demo-like catalogue, a staff
requester and a private upload directory per test.

Each of those folders' conftest.py imports them, so that they apply there (the upload
fixture is autouse) and nowhere else.
"""

from __future__ import annotations

import pytest

from tests.catalog.world import build_world
from tests.support.factories import make_user


@pytest.fixture
def world(app_ctx):
    return build_world()


@pytest.fixture
def staff(world):
    """A member of staff who works at Triolet, building 1, first floor."""
    site, building, floor = world.triolet
    user = make_user("claire.martin@umontpellier.fr", name="Claire Martin")
    user.site_id, user.building_id, user.floor_id = site.id, building.id, floor.id
    from desk.extensions import db

    db.session.commit()
    return user


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path):
    """Each test stores its files in its own directory, so "no file written" is checkable."""
    previous = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = previous
