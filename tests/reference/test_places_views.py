"""Places administration pages: admins only, create, rename, deactivate, CSV import."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from desk.auth.models import Role, User
from desk.extensions import db
from desk.reference.models import Building, Floor, Site
from tests.support.factories import make_site_tree, make_user


@pytest.fixture
def admin(login, app_ctx):
    return login(make_user(role=Role.ADMIN))


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.TECHNICIAN])
def test_only_admins_may_manage_places(login, app_ctx, role):
    site, _b, _f = make_site_tree()
    client = login(make_user(role=role))
    assert client.get("/admin/places").status_code == 403
    assert client.get(f"/admin/places/site/{site.id}").status_code == 403
    assert client.get("/admin/places/import").status_code == 403
    token = client.get("/home") and client.last_csrf
    response = client.post(
        f"/admin/places/site/{site.id}/active", data={"csrf_token": token, "active": "0"}
    )
    assert response.status_code == 403
    assert db.session.get(Site, site.id).is_active is True
    assert "/admin/places" not in client.get("/home").text


def test_admin_sees_the_places_entry_and_the_tree(admin, app_ctx):
    site, building, floor = make_site_tree()
    settings = admin.get("/admin").text
    assert 'href="/admin/places"' in settings and "Lieux" in settings
    page = admin.get("/admin/places").text
    for name in (site.name, building.name, floor.name):
        assert name in page


def test_create_a_site_then_a_building_then_a_floor(admin, app_ctx):
    response = admin.submit("/admin/places", {"name": "Campus Triolet", "code": ""})
    assert response.status_code == 302
    site = db.session.scalars(select(Site)).one()
    assert site.code == "campus-triolet"
    url = f"/admin/places/site/{site.id}/children"
    response = admin.submit(
        url, {"child-name": "Bâtiment 16"}, page=f"/admin/places/site/{site.id}"
    )
    assert response.status_code == 302
    building = db.session.scalars(select(Building)).one()
    url = f"/admin/places/building/{building.id}/children"
    page = f"/admin/places/building/{building.id}"
    assert admin.submit(url, {"child-name": "RDC"}, page=page).status_code == 302
    assert db.session.scalars(select(Floor)).one().building_id == building.id


def test_invalid_input_is_explained_and_saves_nothing(admin, app_ctx):
    make_site_tree("triolet")
    response = admin.submit("/admin/places", {"name": "  "})
    assert response.status_code == 400 and "Saisissez un nom." in response.text
    response = admin.submit("/admin/places", {"name": "Campus X", "code": "triolet"})
    assert response.status_code == 400 and "Ce code est déjà utilisé" in response.text
    response = admin.submit("/admin/places", {"name": "Campus X", "code": "Mauvais code"})
    assert response.status_code == 400 and "minuscules" in response.text
    assert _count(Site) == 1


def test_floors_cannot_have_children_and_unknown_places_are_404(admin, app_ctx):
    _site, _building, floor = make_site_tree()
    assert admin.get("/admin/places/floor/999999").status_code == 404
    assert admin.get("/admin/places/room/1").status_code == 404
    response = admin.submit(
        f"/admin/places/floor/{floor.id}/children", {"child-name": "Salle"}, page="/home"
    )
    assert response.status_code == 404


def test_rename(admin, app_ctx):
    site, building, _floor = make_site_tree()
    url = f"/admin/places/building/{building.id}"
    response = admin.submit(f"{url}/rename", {"name": "Bâtiment Chimie"}, page=url)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Building, building.id).name == "Bâtiment Chimie"
    other = Building(site=site, code="x", name="Autre")
    db.session.add(other)
    db.session.commit()
    response = admin.submit(f"{url}/rename", {"name": "autre"}, page=url)
    assert response.status_code == 400 and "Ce nom est déjà utilisé" in response.text


def test_deactivate_keeps_users_pointing_to_it(admin, login, app_ctx):
    site, building, floor = make_site_tree()
    located = make_user()
    located.site_id, located.building_id, located.floor_id = site.id, building.id, floor.id
    db.session.commit()
    url = f"/admin/places/floor/{floor.id}"
    response = admin.submit(f"{url}/active", {"active": "0"}, page=url)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Floor, floor.id).is_active is False
    assert db.session.get(User, located.id).floor_id == floor.id
    assert "désactivé" in admin.get(url).text
    prefs = login(located).get("/preferences").text
    assert f"{floor.name} (désactivé)" in prefs
    # Reactivation.
    assert admin.submit(f"{url}/active", {"active": "1"}, page=url).status_code == 302
    db.session.expire_all()
    assert db.session.get(Floor, floor.id).is_active is True


def _upload(client, data: bytes):
    client.get("/admin/places/import")
    return client.post(
        "/admin/places/import",
        data={"csrf_token": client.last_csrf, "file": (io.BytesIO(data), "lieux.csv")},
        content_type="multipart/form-data",
    )


def test_csv_import_creates_places(admin, app_ctx):
    response = _upload(
        admin, "Campus Triolet;Bâtiment 16;RDC\nCampus Triolet;Bâtiment 16;1er\n".encode()
    )
    assert response.status_code == 200
    assert "Créés : 1 sites, 1 bâtiments, 2 étages" in response.text
    assert _count(Floor) == 2


def test_csv_import_with_errors_reports_each_line_and_saves_nothing(admin, app_ctx):
    response = _upload(admin, b"Campus Triolet;B16;RDC\n;B3;\nCampus Triolet;;1er\n")
    assert response.status_code == 400
    assert "Rien n’a été enregistré : 2 lignes à corriger." in response.text
    assert "Ligne 2 : Le site manque." in response.text
    assert "Ligne 3 : Un étage doit être rattaché à un bâtiment." in response.text
    assert _count(Site) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(range(256)) * 40, "Ce n’est pas un fichier CSV ou texte."),
        (b"PK\x03\x04 an .xlsx", "Ce fichier est un classeur, pas un fichier CSV"),
        ("a;b\x00\n".encode("utf-16"), "Ce n’est pas un fichier CSV ou texte."),
        (b'"Campus;B16;RDC\n' + b"x" * 200_000, "Le fichier ne peut pas être lu comme un CSV"),
    ],
)
def test_a_file_that_is_no_csv_is_refused_next_to_the_field(admin, app_ctx, data, message):
    response = _upload(admin, data)
    assert response.status_code == 400
    error = response.text.split('id="file-error"')[1].split("</")[0]
    assert message in error
    assert _count(Site) == 0


def test_an_excel_unicode_text_export_is_read(admin, app_ctx):
    # Excel's "Unicode text": UTF-16 with a BOM, tab separated.
    data = "site\tbuilding\tfloor\nCampus Triolet\tBâtiment 16\tRDC\n".encode("utf-16")
    response = _upload(admin, data)
    assert response.status_code == 200
    assert db.session.scalar(select(Building.name)) == "Bâtiment 16"
    assert _count(Floor) == 1


def test_csv_import_without_a_file(admin, app_ctx):
    admin.get("/admin/places/import")
    response = admin.post("/admin/places/import", data={"csrf_token": admin.last_csrf})
    assert response.status_code == 400
    assert "Choisissez un fichier CSV." in response.text


def test_a_file_of_more_lines_than_an_import_may_take_is_refused_whole(login, app_ctx):
    """A 2 MB file holds some 75,000 lines: imported, they ran past the web server's timeout
    (a killed worker, no page). Past MAX_LINES (20,000: more rooms than a university has) the
    admin is told to split it, at once."""
    from desk.reference.places_import import MAX_LINES

    english = login(make_user(role=Role.ADMIN, locale="en"))
    data = "".join(f"Site {i}\n" for i in range(MAX_LINES + 1)).encode()
    response = _upload(english, data)
    assert response.status_code == 400
    assert "Too many lines: 20,001 (at most 20,000 per file)." in response.text
    assert _count(Site) == 0
    # As many lines as allowed are imported (every line a new site: the costliest shape).
    response = _upload(english, "".join(f"Site {i}\n" for i in range(MAX_LINES)).encode())
    assert response.status_code == 200
    assert _count(Site) == MAX_LINES
