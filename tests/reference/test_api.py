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


def test_mine_offers_back_only_the_users_own_deactivated_places(login, tree):
    """The preferences page (?mine=1) gets back the user's own building and floor of a site
    deactivated since they chose it; nobody lists any other deactivated place with it."""
    site, building, floor, _upper = tree
    site.is_active = floor.is_active = False
    there = make_user("there@umontpellier.fr")
    there.site_id, there.building_id, there.floor_id = site.id, building.id, floor.id
    db.session.commit()
    own = login(there)
    mine = {"id": building.id, "name": building.name, "lang": "fr"}
    assert own.get(f"/api/places/buildings?mine=1&site={site.id}").json == [mine]
    assert own.get(f"/api/places/floors?mine=1&building={building.id}").json == [
        {"id": floor.id, "name": "Rez-de-chaussée (désactivé)"}
    ]
    # The catalogue's lists (no `mine`) offer nothing of a deactivated site, even to them.
    assert own.get(f"/api/places/buildings?site={site.id}").json == []
    assert own.get(f"/api/places/floors?building={building.id}").json == []
    # Someone else, asking the same, gets nothing; `mine` means only "1".
    other = login(make_user("elsewhere@umontpellier.fr"))
    assert other.get(f"/api/places/buildings?mine=1&site={site.id}").json == []
    assert other.get(f"/api/places/floors?mine=1&building={building.id}").json == []
    assert own.get(f"/api/places/buildings?mine=yes&site={site.id}").json == []


def test_mine_on_an_open_site_adds_no_other_deactivated_place(login, tree):
    site, building, _floor, upper = tree
    user = make_user("there@umontpellier.fr")
    user.site_id, user.building_id, user.floor_id = site.id, building.id, upper.id
    db.session.commit()
    client = login(user)
    buildings = client.get(f"/api/places/buildings?mine=1&site={site.id}").json
    assert [b["id"] for b in buildings] == [building.id]  # not "Ancien bâtiment"
    floors = client.get(f"/api/places/floors?mine=1&building={building.id}").json
    assert [f["name"] for f in floors] == ["Rez-de-chaussée", "1er étage"]  # not "2e étage"
