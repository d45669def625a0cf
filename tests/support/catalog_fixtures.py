"""Fixtures shared by the catalogue and portal tests: the demo-like catalogue and a staff
requester. Each of those folders' conftest.py imports them."""

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
