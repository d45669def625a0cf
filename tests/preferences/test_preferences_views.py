"""The preferences page: save, the no-JavaScript round trip, forged POSTs, phone read-only."""

from __future__ import annotations

import re

import pytest

from desk.auth.models import User
from desk.extensions import db
from desk.reference.models import Building, Floor
from tests.support.factories import make_request_type, make_site_tree, make_user

URL = "/preferences"


@pytest.fixture
def places(app_ctx):
    """Two sites, each with a building and a floor."""
    return make_site_tree("alpha"), make_site_tree("beta")


def _reload(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def _selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    # Attributes in any order (an option may carry `lang`, as the language choices do).
    for attrs in re.findall(r"<option([^>]*)>", select):
        if re.search(r"\bselected\b", attrs):
            value = re.search(r'value="([^"]*)"', attrs)
            return (value.group(1) if value else None) or None
    return None


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    return [v for v in re.findall(r'value="([^"]*)"', select) if v]


def test_menu_link_and_page_layout(login, app_ctx):
    user = make_user()
    client = login(user)
    home = client.get("/home")
    assert 'href="/preferences"' in home.text and "Préférences utilisateur" in home.text
    page = client.get(URL)
    assert page.status_code == 200
    assert "Localisation" in page.text
    assert page.text.count('name="save"') == 2  # "OK" at the top and at the bottom
    assert 'value="OK"' in page.text
    assert 'name="refresh"' in page.text and "data-nojs" in page.text
    assert "places.js" in page.text


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_saving_a_location_and_a_language(login, places):
    (site, building, floor), _beta = places
    user = make_user()
    client = login(user)
    data = {"site": site.id, "building": building.id, "floor": floor.id, "language": "en"}
    response = client.submit(URL, {**data, "save": "OK"})
    assert response.status_code == 302
    saved = _reload(user)
    assert (saved.site_id, saved.building_id, saved.floor_id) == (site.id, building.id, floor.id)
    assert saved.locale == "en"
    page = client.get(URL)
    assert "Your preferences are saved." in page.text  # flashed in the language just chosen
    assert _selected(page.text, "site") == str(site.id)
    assert _selected(page.text, "building") == str(building.id)
    assert _selected(page.text, "floor") == str(floor.id)
    assert _selected(page.text, "language") == "en"


def test_lists_only_show_what_belongs_to_the_choice_above(login, places):
    (site, building, floor), (_s2, _b2, _f2) = places
    user = make_user()
    user.site_id, user.building_id, user.floor_id = site.id, building.id, floor.id
    db.session.commit()
    page = login(user).get(URL).text
    assert set(_options(page, "site")) >= {str(site.id), str(_s2.id)}
    assert _options(page, "building") == [str(building.id)]
    assert _options(page, "floor") == [str(floor.id)]


def test_refresh_without_javascript_refills_and_clears_without_saving(login, places):
    (_site, building, floor), (beta, beta_building, _bf) = places
    user = make_user()
    client = login(user)
    data = {"site": beta.id, "building": building.id, "floor": floor.id, "language": "browser"}
    response = client.submit(URL, {**data, "refresh": "Mettre à jour les listes"})
    assert response.status_code == 200
    assert _options(response.text, "building") == [str(beta_building.id)]
    assert _selected(response.text, "building") is None  # the other site's building is cleared
    assert _options(response.text, "floor") == []
    assert _reload(user).site_id is None
    # Second round trip: the building is chosen, the floors appear.
    data = {"site": beta.id, "building": beta_building.id, "floor": "", "language": "browser"}
    response = client.submit(URL, {**data, "refresh": "1"})
    assert len(_options(response.text, "floor")) == 1


def test_a_refused_save_lists_no_floor_of_a_building_the_site_does_not_hold(login, places):
    """Without JavaScript, a new site chosen and OK pressed (no "Update the lists"): the
    building is refused and its list shows the new site's, but the floor list kept the old
    building's floors, one still selected, under no building."""
    (_site, building, floor), (beta, beta_building, _bf) = places
    user = make_user()
    data = {"site": beta.id, "building": building.id, "floor": floor.id, "language": "browser"}
    response = login(user).submit(URL, {**data, "save": "OK"})
    assert response.status_code == 400
    assert "Ce bâtiment ne se trouve pas sur le site choisi." in response.text
    assert _options(response.text, "building") == [str(beta_building.id)]
    assert _options(response.text, "floor") == []
    assert _selected(response.text, "floor") is None


@pytest.mark.parametrize(
    ("case", "level_text"),
    [
        ("other_site_building", "Ce bâtiment ne se trouve pas sur le site choisi."),
        ("missing_floor_id", "Cet étage n’existe pas."),
        ("non_numeric", "Choisissez un bâtiment dans la liste."),
        ("past_the_integer_column", "Choisissez un site dans la liste."),
        ("superscript_digit", "Choisissez un bâtiment dans la liste."),
        ("deactivated_floor", "Ce lieu a été désactivé"),
        ("no_building", "Choisissez votre bâtiment."),
        ("floor_without_building", "Choisissez votre bâtiment avant l’étage."),
    ],
)
def test_forged_posts_are_refused_and_save_nothing(login, places, case, level_text):
    (site, building, floor), (_beta, beta_building, beta_floor) = places
    user = make_user()
    data = {"site": site.id, "building": building.id, "floor": floor.id, "language": "en"}
    if case == "other_site_building":
        data.update(building=beta_building.id, floor=beta_floor.id)
    elif case == "missing_floor_id":
        data["floor"] = 987654
    elif case == "non_numeric":
        data["building"] = "1 OR 1=1"
    elif case == "past_the_integer_column":
        data["site"] = "2147483648"
    elif case == "superscript_digit":
        data["building"] = "²"
    elif case == "deactivated_floor":
        db.session.get(Floor, floor.id).is_active = False
        db.session.commit()
    elif case == "no_building":
        data.update(building="", floor="")
    elif case == "floor_without_building":
        data["building"] = ""
    response = login(user).submit(URL, {**data, "save": "OK"})
    assert response.status_code == 400
    assert level_text in response.text
    assert 'aria-invalid="true"' in response.text
    saved = _reload(user)
    assert (saved.site_id, saved.building_id, saved.floor_id, saved.locale) == (
        None,
        None,
        None,
        None,
    )


def test_a_phone_field_slipped_into_the_form_is_ignored(login, places):
    (site, building, floor), _beta = places
    user = make_user()
    user.phone = "+33467141234"
    db.session.commit()
    client = login(user)
    page = client.get(URL).text
    assert 'name="phone"' not in page
    data = {"site": site.id, "building": building.id, "floor": floor.id, "language": "fr"}
    response = client.submit(URL, {**data, "phone": "+33611223344", "save": "OK"})
    assert response.status_code == 302
    assert _reload(user).phone == "+33467141234"
    assert _reload(user).site_id == site.id


def test_phone_is_shown_read_only_with_a_link_to_the_prefilled_hr_request(login, app_ctx):
    make_request_type(slug="changement-numero", form_key="hr_phone")
    user = make_user()
    user.phone = "+33467141234"
    db.session.commit()
    client = login(user)
    page = client.get(URL).text
    assert "04 67 14 12 34" in page
    assert "Système RH" in page
    assert 'href="/catalogue/changement-numero"' in page
    assert not re.search(r"<input[^>]*04 67 14 12 34", page)
    form = client.get("/catalogue/changement-numero").text
    assert "Numéro actuel dans l’annuaire : 04 67 14 12 34" in form


def test_page_without_a_number_says_so(login, app_ctx):
    make_request_type(slug="changement-numero", form_key="hr_phone")
    page = login(make_user()).get(URL).text
    assert "Aucun numéro enregistré." in page
    assert 'href="/catalogue/changement-numero"' in page


def test_post_without_csrf_token_is_refused(login, places):
    (site, building, floor), _beta = places
    user = make_user()
    client = login(user)
    data = {"site": site.id, "building": building.id, "floor": floor.id, "save": "OK"}
    response = client.post(URL, data=data)
    assert response.status_code == 400
    assert _reload(user).site_id is None


def test_unknown_language_is_refused(login, places):
    (site, building, floor), _beta = places
    user = make_user()
    data = {"site": site.id, "building": building.id, "floor": floor.id, "language": "de"}
    response = login(user).submit(URL, {**data, "save": "OK"})
    assert response.status_code == 400
    assert "Choisissez une langue dans la liste." in response.text
    assert _reload(user).site_id is None


def test_a_deactivated_current_place_stays_shown_and_can_be_kept(login, places):
    (site, building, floor), _beta = places
    user, newcomer = make_user(), make_user()
    user.site_id, user.building_id, user.floor_id = site.id, building.id, floor.id
    db.session.get(Building, building.id).is_active = False
    db.session.commit()
    client = login(user)
    page = client.get(URL).text
    assert _selected(page, "building") == str(building.id)
    assert f"{building.name} (désactivé)" in page
    data = {"site": site.id, "building": building.id, "floor": floor.id, "language": "fr"}
    assert client.submit(URL, {**data, "save": "OK"}).status_code == 302
    # Someone else is not offered it, and cannot forge it.
    other = login(newcomer)
    assert str(building.id) not in _options(other.get(URL).text, "building")
    assert other.submit(URL, {**data, "save": "OK"}).status_code == 400


def test_link_to_notification_choices_when_that_page_exists(app, login, app_ctx):
    page = login(make_user()).get(URL).text
    if "notifications.preferences" in app.view_functions:
        assert 'id="notification-preferences"' in page
    else:
        assert 'id="notification-preferences"' not in page


def test_a_student_is_not_sent_to_the_staff_only_hr_request(login, app_ctx):
    # The link led a student to the HR phone form, staff only: a 403 page.
    make_request_type(slug="changement-numero", form_key="hr_phone", is_staff_only=True)
    student = make_user("etu@etu.example.org", is_staff=False)
    client = login(student)
    page = client.get(URL).text
    assert "/catalogue/changement-numero" not in page
    # Nor a professional number's section with nothing in it.
    assert 'id="phone-title"' not in page
    student.phone = "+33467141234"
    db.session.commit()
    page = client.get(URL).text
    assert "04 67 14 12 34" in page
    assert "/catalogue/changement-numero" not in page
    staff = login(make_user("agent@example.org"))
    assert 'href="/catalogue/changement-numero"' in staff.get(URL).text
