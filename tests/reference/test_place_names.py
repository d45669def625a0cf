"""Places have an optional English name: set by admins, the CSV import and the reference file,
shown to English readers, and a French name shown on an English page is marked lang="fr"."""

from __future__ import annotations

import io
import textwrap

import pytest
from sqlalchemy import select

from desk.auth.models import Role
from desk.extensions import db
from desk.reference.loader import load_reference
from desk.reference.models import Building, Floor, Site
from desk.reference.places import create_place, rename_place
from desk.reference.places_import import import_places
from tests.support.factories import make_queue, make_ticket, make_user


@pytest.fixture
def campus(app_ctx):
    site = create_place("site", "Campus Triolet", name_en="Triolet campus")
    named = create_place("building", "Bâtiment 16", parent=site, name_en="Building 16")
    plain = create_place("building", "Bâtiment 36", parent=site)
    floor = create_place("floor", "Rez-de-chaussée", parent=named, name_en="Ground floor")
    db.session.commit()
    return site, named, plain, floor


def _english(user):
    user.locale = "en"
    db.session.commit()
    return user


def test_the_api_names_places_for_the_reader_and_says_in_which_language(campus, login):
    site, named, _plain, _floor = campus
    english = login(_english(make_user("en@umontpellier.fr")))
    assert english.get(f"/api/places/buildings?site={site.id}").get_json() == [
        {"id": _plain.id, "name": "Bâtiment 36", "lang": "fr"},  # by the name read
        {"id": named.id, "name": "Building 16", "lang": "en"},
    ]
    assert english.get(f"/api/places/floors?building={named.id}").get_json()[0]["name"] == (
        "Ground floor"
    )
    french = login(make_user("fr@umontpellier.fr"))
    names = [b["name"] for b in french.get(f"/api/places/buildings?site={site.id}").get_json()]
    assert names == ["Bâtiment 16", "Bâtiment 36"]


def test_preferences_lists_mark_french_names_on_an_english_page(campus, login):
    site, named, _plain, _floor = campus
    user = _english(make_user("en@umontpellier.fr"))
    user.site_id, user.building_id = site.id, named.id
    db.session.commit()
    page = login(user).get("/preferences").text
    assert f'<option selected value="{site.id}">Triolet campus</option>' in page
    assert f'<option lang="fr" value="{_plain.id}">Bâtiment 36</option>' in page


def test_ticket_pages_and_lists_show_the_readers_names(campus, login):
    site, _named, plain, _floor = campus
    queue = make_queue(code="reseau")
    tech = _english(make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, queues=(queue,)))
    ticket = make_ticket(queue=queue, site_id=site.id, building_id=plain.id)
    client = login(tech)
    page = client.get(f"/tickets/{ticket.reference}").text
    assert 'Triolet campus › <span lang="fr">Bâtiment 36</span>' in page
    listing = client.get("/queues/reseau").text
    assert "Triolet campus" in listing and "Campus Triolet" not in listing
    assert "Triolet campus" in client.get("/queues/reseau").text.split('id="f-site"', 1)[1]


def test_admins_set_and_change_the_english_name(campus, login):
    site, _named, plain, _floor = campus
    admin = login(make_user(role=Role.ADMIN))
    admin.get(f"/admin/places/site/{site.id}")
    response = admin.submit(
        f"/admin/places/site/{site.id}/children",
        {"child-name": "Bâtiment 5", "child-name_en": "Building 5"},
        page=f"/admin/places/site/{site.id}",
    )
    assert response.status_code == 302
    created = db.session.scalar(select(Building).filter_by(name="Bâtiment 5"))
    assert created.name_en == "Building 5"
    page = admin.get(f"/admin/places/building/{plain.id}").text
    assert 'id="name_en"' in page and 'lang="en"' in page
    response = admin.submit(
        f"/admin/places/building/{plain.id}/rename",
        {"name": "Bâtiment 36", "name_en": "  Building   36 "},
        page=f"/admin/places/building/{plain.id}",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Building, plain.id).name_en == "Building 36"
    rename_place(db.session.get(Building, plain.id), "Bâtiment 36", "")
    assert db.session.get(Building, plain.id).name_en is None


def test_an_old_three_column_file_imports_as_before(app_ctx):
    report = import_places("site;building;floor\nCampus Nord;Bât. 1;RDC\n".encode())
    assert report.ok, report.errors
    assert report.created == {"site": 1, "building": 1, "floor": 1}
    assert db.session.scalar(select(Floor)).name_en is None


def test_the_import_reads_english_names_in_three_more_columns(campus):
    site, _named, _plain, _floor = campus
    data = textwrap.dedent(
        """\
        site;building;floor;site_en;building_en;floor_en
        Campus Triolet;Bâtiment 36;;;Building 36
        Campus Triolet;Bâtiment 16;1er étage;;;First floor
        Campus Nord;;;North campus
        """
    ).encode()
    report = import_places(data)
    assert report.ok, report.errors
    assert report.english_names == 1  # Bâtiment 36 existed
    db.session.expire_all()
    assert db.session.scalar(select(Building).filter_by(name="Bâtiment 36")).name_en == (
        "Building 36"
    )
    assert db.session.scalar(select(Floor).filter_by(name="1er étage")).name_en == "First floor"
    assert db.session.scalar(select(Site).filter_by(name="Campus Nord")).name_en == "North campus"
    # An empty English cell keeps the English name the place has.
    assert db.session.get(Site, site.id).name_en == "Triolet campus"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Campus Sud;;;South;Building", "Un nom anglais doit être accompagné du nom français"),
        ("a;b;c;d;e;f;g", "6 colonnes au plus"),
    ],
)
def test_import_refuses_english_without_french_and_extra_columns(app_ctx, line, message):
    report = import_places(f"{line}\n".encode())
    assert not report.ok
    assert message in str(report.errors[0][1])
    assert db.session.scalar(select(Site)) is None


def test_the_import_page_explains_the_english_columns(login, app_ctx):
    admin = login(make_user(role=Role.ADMIN))
    page = admin.get("/admin/places/import").text
    assert "site_en" in page
    response = admin.submit(
        "/admin/places/import",
        {"file": (io.BytesIO(b"Campus Nord;;;North campus\n"), "p.csv")},
        page="/admin/places/import",
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.text[-500:]
    assert db.session.scalar(select(Site)).name_en == "North campus"


def test_the_reference_file_sets_english_names_and_an_old_file_keeps_them(app_ctx, tmp_path):
    new = tmp_path / "new.yaml"
    new.write_text(
        "sites:\n  - code: nord\n    name: Campus Nord\n    name_en: North campus\n"
        "    buildings:\n      - {code: a, name: Bâtiment A, name_en: Building A}\n",
        encoding="utf-8",
    )
    old = tmp_path / "old.yaml"
    old.write_text(
        "sites:\n  - code: nord\n    name: Campus Nord\n"
        "    buildings:\n      - {code: a, name: Bâtiment A}\n",
        encoding="utf-8",
    )
    load_reference(new)
    load_reference(old)
    db.session.expire_all()
    assert db.session.scalar(select(Site)).name_en == "North campus"
    assert db.session.scalar(select(Building)).name_en == "Building A"


def test_a_place_page_heading_follows_the_reader_s_typography(login, db):
    """ "Building: …" in English, "Bâtiment : …" in French (the space before the colon is
    French typography, not English)."""
    from tests.support.factories import make_site_tree

    _site, building, _floor = make_site_tree()
    english = make_user("admin.en@umontpellier.fr", role=Role.ADMIN, locale="en")
    page = login(english).get(f"/admin/places/building/{building.id}").text
    assert '<h1>Building: <span lang="fr">' in page
    french = make_user("admin.fr@umontpellier.fr", role=Role.ADMIN, locale="fr")
    page = login(french).get(f"/admin/places/building/{building.id}").text
    assert "<h1>Bâtiment : Bâtiment" in page
