"""`update_location` and `set_language`: the chain, the order, deactivated places, who may act."""

from __future__ import annotations

import pytest

from desk.auth.models import Role, User
from desk.extensions import db
from desk.preferences.services import LocationError, set_language, update_location
from desk.reference.models import Building, Floor
from tests.support.factories import make_site_tree, make_user


def _located(user, site, building, floor) -> User:
    user.site_id, user.building_id, user.floor_id = site.id, building.id, floor.id
    db.session.commit()
    return user


def _fail(user, *ids, level: str, text: str | None = None) -> LocationError:
    before = (user.site_id, user.building_id, user.floor_id)
    with pytest.raises(LocationError) as caught:
        update_location(user, *ids, actor=user)
    db.session.rollback()
    assert caught.value.level == level
    if text:
        assert text in str(caught.value.message)
    assert (user.site_id, user.building_id, user.floor_id) == before
    return caught.value


def test_a_full_consistent_chain_is_saved(app_ctx):
    user = make_user()
    site, building, floor = make_site_tree()
    assert update_location(user, site.id, building.id, floor.id, actor=user) is True
    db.session.expire_all()
    assert (user.site, user.building, user.floor) == (site, building, floor)
    assert update_location(user, site.id, building.id, floor.id, actor=user) is False


def test_building_of_another_site_is_refused(app_ctx):
    user = make_user()
    site, _b, _f = make_site_tree()
    _s2, other_building, other_floor = make_site_tree()
    _fail(
        user,
        site.id,
        other_building.id,
        other_floor.id,
        level="building",
        text="ne se trouve pas sur le site choisi",
    )


def test_floor_of_another_building_is_refused(app_ctx):
    user = make_user()
    site, building, _f = make_site_tree()
    _s2, _b2, other_floor = make_site_tree()
    _fail(
        user,
        site.id,
        building.id,
        other_floor.id,
        level="floor",
        text="ne fait pas partie du bâtiment",
    )


def test_ids_that_do_not_exist_name_their_level(app_ctx):
    user = make_user()
    site, building, _f = make_site_tree()
    _fail(user, 999999, building.id, None, level="site", text="n’existe pas")
    _fail(user, site.id, 999999, None, level="building", text="n’existe pas")
    _fail(user, site.id, building.id, 999999, level="floor", text="n’existe pas")


def test_missing_levels_are_named_in_order(app_ctx):
    user = make_user()
    site, building, floor = make_site_tree()
    _fail(user, site.id, None, None, level="building", text="Choisissez votre bâtiment")
    _fail(user, site.id, building.id, None, level="floor", text="Choisissez votre étage")
    _fail(user, None, building.id, floor.id, level="site", text="Choisissez d’abord votre site")
    _fail(user, site.id, None, floor.id, level="building", text="avant l’étage")


def test_a_building_without_floors_needs_no_floor(app_ctx):
    user = make_user()
    site, _b, _f = make_site_tree()
    bare = Building(site=site, code="annex", name="Annexe")
    db.session.add(bare)
    db.session.commit()
    assert update_location(user, site.id, bare.id, None, actor=user)


def test_nothing_chosen_is_fine_until_a_location_exists(app_ctx):
    user = make_user()
    assert update_location(user, None, None, None, actor=user) is False
    _located(user, *make_site_tree())
    _fail(user, None, None, None, level="site", text="Choisissez votre site")


def test_a_newly_chosen_deactivated_place_is_refused(app_ctx):
    user = make_user()
    site, building, floor = make_site_tree()
    floor.is_active = False
    db.session.commit()
    _fail(user, site.id, building.id, floor.id, level="floor", text="désactivé")
    building.is_active = False
    floor.is_active = True
    db.session.commit()
    _fail(user, site.id, building.id, floor.id, level="building", text="désactivé")


def test_an_active_floor_under_a_deactivated_building_is_refused(app_ctx):
    user = make_user()
    site, building, floor = make_site_tree()
    _located(user, site, building, floor)
    building.is_active = False
    other = Floor(building=building, code="1", name="1er étage", position=1)
    db.session.add(other)
    db.session.commit()
    _fail(user, site.id, building.id, other.id, level="floor", text="désactivé")


def test_the_current_place_may_be_kept_after_its_deactivation(app_ctx):
    user = make_user()
    site, building, floor = make_site_tree()
    _located(user, site, building, floor)
    site.is_active = building.is_active = floor.is_active = False
    db.session.commit()
    assert update_location(user, site.id, building.id, floor.id, actor=user) is False


def test_only_the_user_or_an_admin_may_change_a_location(app_ctx):
    user, other, admin = make_user(), make_user(), make_user(role=Role.ADMIN)
    site, building, floor = make_site_tree()
    with pytest.raises(PermissionError):
        update_location(user, site.id, building.id, floor.id, actor=other)
    assert update_location(user, site.id, building.id, floor.id, actor=admin)


def test_language_choice(app_ctx):
    user = make_user()
    assert set_language(user, "en", actor=user) is True
    assert db.session.get(User, user.id).locale == "en"
    assert set_language(user, "browser", actor=user) is True
    assert db.session.get(User, user.id).locale is None
    with pytest.raises(ValueError):
        set_language(user, "de", actor=user)
