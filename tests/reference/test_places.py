"""Place services: create, rename, (de)activate, and the all-or-nothing CSV import."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desk.extensions import db
from desk.reference.models import Building, Floor, Site
from desk.reference.places import (
    PlaceError,
    create_place,
    offered_buildings,
    offered_sites,
    rename_place,
    set_place_active,
    slugify,
)
from desk.reference.places_import import import_places


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_makes_codes_from_names_and_refuses_duplicates(app_ctx):
    site = create_place("site", "  Campus   Triolet ")
    assert (site.name, site.code) == ("Campus Triolet", "campus-triolet")
    b1 = create_place("building", "Bâtiment 16", parent=site)
    b2 = create_place("building", "Bâtiment-16", parent=site)
    assert (b1.code, b2.code) == ("batiment-16", "batiment-16-2")
    with pytest.raises(PlaceError):
        create_place("building", "BÂTIMENT 16", parent=site)
    floors = [create_place("floor", n, parent=b1) for n in ("RDC", "1er étage")]
    assert [f.position for f in floors] == [1, 2]
    with pytest.raises(PlaceError) as bad_code:
        create_place("site", "Autre", code="Pas Bon!")
    assert bad_code.value.field == "code"


def test_a_name_differing_only_in_the_case_of_an_accented_letter_is_a_duplicate(app_ctx):
    """SQLite's lower() folds ASCII letters only: a site holding "ÉTAGE TECHNIQUE" took a
    second "Étage technique" (and a rename to it) there, which PostgreSQL refuses."""
    site = create_place("site", "Campus Richter")
    building = create_place("building", "BÂTIMENT A", parent=site)
    with pytest.raises(PlaceError):
        create_place("building", "Bâtiment  a", parent=site)
    floor = create_place("floor", "ÉTAGE TECHNIQUE", parent=building)
    other = create_place("floor", "Rez-de-chaussée", parent=building)
    with pytest.raises(PlaceError):
        rename_place(other, "Étage technique")
    assert floor.name == "ÉTAGE TECHNIQUE"


def test_slugify_never_returns_an_empty_code():
    assert slugify("Étage −1 (sous-sol)") == "etage-1-sous-sol"
    assert slugify("—") == "place"


def test_rename_keeps_the_code_and_checks_siblings(app_ctx):
    site = create_place("site", "Campus A")
    create_place("site", "Campus B")
    rename_place(site, "Campus Alpha")
    assert (site.name, site.code) == ("Campus Alpha", "campus-a")
    with pytest.raises(PlaceError):
        rename_place(site, "campus b")
    with pytest.raises(PlaceError):
        rename_place(site, "   ")
    with pytest.raises(PlaceError):
        rename_place(site, "x" * 121)


def test_a_deactivated_place_is_no_longer_offered_except_to_its_current_user(app_ctx):
    site = create_place("site", "Campus A")
    building = create_place("building", "B1", parent=site)
    set_place_active(building, False)
    assert offered_buildings(site.id) == []
    kept = offered_buildings(site.id, current_id=building.id)
    assert [(c.id, c.is_active) for c in kept] == [(building.id, False)]
    set_place_active(site, False)
    assert offered_sites() == []
    set_place_active(site, True)
    assert [c.id for c in offered_sites()] == [site.id]


CSV = (
    "site;bâtiment;étage\n"
    "Campus Triolet;Bâtiment 16;RDC\n"
    "Campus Triolet;Bâtiment 16;1er\n"
    "campus triolet;bâtiment 16\n"
    "Campus Richter;;\n"
)


def test_import_creates_the_missing_places_and_is_idempotent(app_ctx):
    report = import_places(CSV.encode("utf-8-sig"))
    assert report.ok, report.errors
    assert report.created == {"site": 2, "building": 1, "floor": 2}
    assert (_count(Site), _count(Building), _count(Floor)) == (2, 1, 2)
    again = import_places(CSV.encode("utf-8"))
    assert again.ok and again.created == {"site": 0, "building": 0, "floor": 0}
    assert (_count(Site), _count(Building), _count(Floor)) == (2, 1, 2)


def test_import_reads_windows_files_with_commas(app_ctx):
    report = import_places("Campus Pharmacie,Bâtiment É,Étage 1\r\n".encode("cp1252"))
    assert report.ok
    floor = db.session.scalars(select(Floor)).one()
    assert (floor.building.site.name, floor.building.name, floor.name) == (
        "Campus Pharmacie",
        "Bâtiment É",
        "Étage 1",
    )


def test_a_bad_line_saves_nothing_and_every_error_has_its_line(app_ctx):
    data = (
        "Campus Triolet;Bâtiment 16;RDC\n"
        ";Bâtiment 3;\n"
        "Campus Triolet;;1er\n"
        # Columns 4 to 6 are English names (optional): a seventh is one too many.
        "Campus Triolet;B;1;a;b;c;extra\n"
        f"Campus Triolet;{'x' * 130};\n"
    )
    report = import_places(data.encode())
    assert not report.ok
    assert [line for line, _ in report.errors] == [2, 3, 4, 5]
    assert "bâtiment" in str(report.errors[3][1])
    assert (_count(Site), _count(Building), _count(Floor)) == (0, 0, 0)


def test_an_existing_deactivated_place_is_reused_but_stays_deactivated(app_ctx):
    site = create_place("site", "Campus Triolet")
    set_place_active(site, False)
    db.session.commit()
    report = import_places(b"Campus Triolet;B16;\n")
    assert report.ok
    assert [line for line, _ in report.warnings] == [1]
    assert db.session.get(Site, site.id).is_active is False
    assert _count(Site) == 1


def test_an_empty_file_is_an_error(app_ctx):
    report = import_places(b"site;building;floor\n\n")
    assert not report.ok


def _lines(tag: str, n: int) -> str:
    """n lines that each create a site, a building and a floor (with English names)."""
    return "".join(
        f"Campus {tag}{i};Bâtiment {i};Étage {i};;Building {i};Floor {i}\n" for i in range(n)
    )


def test_an_import_reads_the_places_once_whatever_its_length(app_ctx):
    """Each line cost up to 16 queries (2,000 lines took 13 s on PostgreSQL): the places are
    now read once per import and the new ones written in batches, so ten times the lines send
    the same statements."""
    from tests.support.sql import statements_sent

    site = create_place("site", "Campus Triolet")
    building = create_place("building", "Bâtiment 16", parent=site)
    create_place("floor", "RDC", parent=building)
    set_place_active(create_place("site", "Campus Richter"), False)
    db.session.commit()
    # Existing places found by name or code (one given an English name), a deactivated one
    # reused (with a warning), floors numbered after the existing ones, new places under new
    # and old parents.
    common = (
        "campus triolet;bâtiment 16;RDC;Triolet campus {tag}\n"
        "campus-richter;Bâtiment 5;1er\n"
        "Campus Triolet;Bâtiment 16;2e\n"
    )
    sent = []
    for tag, n in (("A", 5), ("B", 50)):
        with statements_sent(db.engine) as statements:
            report = import_places((common.format(tag=tag) + _lines(tag, n)).encode())
        assert report.ok, report.errors
        first = int(tag == "A")  # the common lines create their places once
        assert report.created == {"site": n, "building": n + first, "floor": n + 2 * first}
        assert [line for line, _ in report.warnings] == [2]
        sent.append(len([s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]))
    assert sent[0] == sent[1], sent
    assert sent[0] <= 12
    assert _count(Site) == 2 + 55 and _count(Floor) == 1 + 55 + 2
    triolet = db.session.get(Site, site.id)
    assert triolet.name_en == "Triolet campus B"
    floors = db.session.scalars(
        select(Floor).where(Floor.building_id == building.id).order_by(Floor.position)
    ).all()
    assert [(f.name, f.position) for f in floors] == [("RDC", 1), ("2e", 2)]
    new = db.session.scalars(select(Floor).where(Floor.name == "Étage 49")).one()
    assert (new.name_en, new.building.name_en, new.building.site.code) == (
        "Floor 49",
        "Building 49",
        "campus-b49",
    )
