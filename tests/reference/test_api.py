"""JSON place lists used by forms that refill in place: active places only, logged-in users."""

from __future__ import annotations

import pytest

from desk.extensions import db
from desk.reference.models import Building, Floor
from tests.support.factories import make_site_tree, make_user


@pytest.fixture
def tree(app_ctx):
    site, building, floor = make_site_tree()
    closed = Building(site=site, code="old", name="Ancien bâtiment", is_active=False)
    upper = Floor(building=building, code="1", name="1er étage", position=1)
    shut = Floor(building=building, code="2", name="2e étage", position=2, is_active=False)
    db.session.add_all([closed, upper, shut])
    db.session.commit()
    return site, building, floor, upper


def test_buildings_of_a_site_active_only(login, tree):
    site, building, _floor, _upper = tree
    response = login(make_user()).get(f"/api/places/buildings?site={site.id}")
    assert response.status_code == 200
    # `lang`: the language of the name (no English name here: French).
    assert response.json == [{"id": building.id, "name": building.name, "lang": "fr"}]


def test_floors_of_a_building_in_order_active_only(login, tree):
    _site, building, floor, upper = tree
    response = login(make_user()).get(f"/api/places/floors?building={building.id}")
    assert response.json == [
        {"id": floor.id, "name": "Rez-de-chaussée", "lang": "fr"},
        {"id": upper.id, "name": "1er étage", "lang": "fr"},
    ]


def test_a_deactivated_site_offers_no_building(login, tree):
    site, _building, _floor, _upper = tree
    site.is_active = False
    db.session.commit()
    assert login(make_user()).get(f"/api/places/buildings?site={site.id}").json == []


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/places/buildings", 400),
        ("/api/places/buildings?site=abc", 400),
        ("/api/places/buildings?site=-1", 400),
        ("/api/places/buildings?site=999999", 404),
        ("/api/places/floors?building=1%20or%201", 400),
        ("/api/places/floors?building=999999", 404),
    ],
)
def test_bad_parameters_get_a_json_error(login, tree, url, status):
    response = login(make_user()).get(url)
    assert response.status_code == status
    assert response.is_json and "error" in response.json


def test_anonymous_users_get_no_data(client, tree):
    site, *_rest = tree
    response = client.get(f"/api/places/buildings?site={site.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
