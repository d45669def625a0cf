"""Place lists come in the reader's order: by the name they read (an English reader's 'Library'
before 'Sports hall', though 'Bibliothèque' < 'Gymnase' is the other way for the French),
accents and case aside ('École' among the E's, not after 'Zénith'), numbers by value."""

from __future__ import annotations

import re

import pytest

from desk.auth.models import Role
from desk.core.collation import sort_key
from desk.extensions import db
from desk.reference.places import create_place
from tests.support.factories import make_queue, make_request_type, make_user

FRENCH = ["Bibliothèque", "École de chimie", "Gymnase", "Zénith"]
ENGLISH = ["École de chimie", "Library", "Sports hall", "Zénith"]
BUILDINGS = ["Bâtiment 9", "Bâtiment 10", "bâtiment annexe"]


@pytest.fixture
def places(app_ctx):
    created = {}
    for name, name_en in (
        ("Zénith", None),
        ("Gymnase", "Sports hall"),
        ("École de chimie", None),
        ("Bibliothèque", "Library"),
    ):
        created[name] = create_place("site", name, name_en=name_en)
    library = created["Bibliothèque"]
    for name in ("bâtiment annexe", "Bâtiment 10", "Bâtiment 9"):
        created[name] = create_place("building", name, parent=library)
    db.session.commit()
    return created


def _in_order(html: str, names: list[str]) -> list[str]:
    """`names` in the order they first appear in `html`."""
    return sorted(names, key=html.index)


def _reader(english: bool, **kwargs):
    user = make_user(locale="en" if english else "fr", **kwargs)
    return user


def test_sort_key_reads_as_people_do():
    names = ["Zénith", "écully", "Ecole", "Bâtiment 10", "bâtiment 9", "Œuvre", "Orangerie"]
    assert sorted(names, key=sort_key) == [
        "bâtiment 9",
        "Bâtiment 10",
        "Ecole",
        "écully",
        "Œuvre",
        "Orangerie",
        "Zénith",
    ]


@pytest.mark.parametrize(("english", "sites"), [(False, FRENCH), (True, ENGLISH)])
def test_preferences_and_the_api(places, login, english, sites):
    client = login(_reader(english))
    page = client.get("/preferences").text
    site_list = re.search(r'<select[^>]*id="site".*?</select>', page, re.S).group()
    assert _in_order(site_list, sites) == sites
    library = places["Bibliothèque"]
    names = [b["name"] for b in client.get(f"/api/places/buildings?site={library.id}").json]
    assert names == BUILDINGS
    user = _reader(english, name="Placed")
    user.site_id = library.id
    db.session.commit()
    page = login(user).get("/preferences").text
    buildings = re.search(r'<select[^>]*id="building".*?</select>', page, re.S).group()
    assert _in_order(buildings, BUILDINGS) == BUILDINGS


@pytest.mark.parametrize(("english", "sites"), [(False, FRENCH), (True, ENGLISH)])
def test_catalogue_form(places, login, english, sites):
    network = make_request_type(slug="network-problem", form_key="network_problem")
    client = login(_reader(english))
    library = places["Bibliothèque"]
    page = client.get(f"/catalogue/{network.slug}").text
    assert _in_order(re.search(r'id="site".*?</select>', page, re.S).group(), sites) == sites
    refreshed = client.submit(
        f"/catalogue/{network.slug}", {"site": str(library.id), "refresh": "1"}
    ).text
    buildings = re.search(r'id="building".*?</select>', refreshed, re.S).group()
    assert _in_order(buildings, BUILDINGS) == BUILDINGS


@pytest.mark.parametrize(("english", "sites"), [(False, FRENCH), (True, ENGLISH)])
def test_admin_pages_and_queue_filter(places, login, english, sites):
    queue = make_queue(code="reseau")
    admin = login(_reader(english, role=Role.ADMIN, queues=(queue,)))
    library_name = "Library" if english else "Bibliothèque"
    at = sites.index(library_name) + 1
    tree = sites[:at] + BUILDINGS + sites[at:]  # each site followed by its buildings
    assert _in_order(admin.get("/admin/places").text, tree) == tree
    library = places["Bibliothèque"]
    site_page = admin.get(f"/admin/places/site/{library.id}").text
    assert _in_order(site_page, BUILDINGS) == BUILDINGS
    rule_form = admin.get("/admin/catalogue/rules/new").text
    assert _in_order(rule_form, sites) == sites
    filters = admin.get("/queues/reseau").text
    site_filter = re.search(r'<select id="f-site".*?</select>', filters, re.S).group()
    assert _in_order(site_filter, sites) == sites
