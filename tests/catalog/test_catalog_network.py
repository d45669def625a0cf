"""Network connection problem: pre-check, fields, location prefill and routing by site."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.extensions import db
from tests.catalog.world import assert_nothing_saved, field_errors, only_ticket

URL = "/catalogue/connexion-reseau"


def _data(place, **overrides):
    site, building, floor = place
    since = dt.datetime.now() - dt.timedelta(days=2)
    data = {
        "checked_cable": "y",
        "checked_wifi": "y",
        "wall_socket": "B16-1-023",
        "working_socket": "B16-1-024",
        "since": since.strftime("%Y-%m-%dT%H:%M"),
        "pc_name": "um-pc-12345",
        "plugged_via": "docking",
        "connection": "wired",
        "site": str(site.id),
        "building": str(building.id),
        "floor": str(floor.id),
        "description": "Plus de réseau depuis le déménagement du bureau.",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("place", "queue"),
    [("triolet", "reseau-triolet"), ("richter", "reseau-richter"), ("stpriest", "reseau")],
)
def test_incident_is_routed_to_the_network_queue_of_its_site(world, staff, login, place, queue):
    client = login(staff)
    response = client.submit(URL, _data(getattr(world, place)))
    assert response.status_code == 302
    ticket = only_ticket()
    assert ticket.reference.startswith(f"INC-{dt.date.today().year}-")
    assert ticket.kind.value == "incident"
    assert ticket.queue.code == queue
    assert ticket.floor_id == getattr(world, place)[2].id
    assert ticket.data["pc_name"] == "UM-PC-12345"
    assert ticket.data["plugged_via"] == "docking"
    page = client.get(f"/mes-demandes/{ticket.reference}").text
    assert "une station d’accueil" in page and "B16-1-023" in page


def test_location_is_prefilled_from_the_users_preferences(world, staff, login):
    page = login(staff).get(URL).text
    site, building, floor = world.triolet
    assert f'<option selected value="{site.id}">' in page
    assert f'<option selected value="{building.id}">' in page
    assert f'<option selected value="{floor.id}">' in page


def _list(page: str, name: str) -> tuple[list[str], list[str]]:
    """A place list's offered ids and its selected ones (the blank "— Choose —" aside)."""
    import re

    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    options = re.findall(r"<option([^>]*)>", select)
    values = [re.search(r'value="([^"]*)"', o).group(1) for o in options]
    selected = [v for o, v in zip(options, values, strict=True) if v and "selected" in o]
    return [v for v in values if v], selected


@pytest.mark.parametrize("deactivated", ["site", "building", "floor"])
def test_the_prefill_stops_at_a_deactivated_level_of_the_users_place(
    world, staff, login, deactivated
):
    # The user's site deactivated: the site list showed "— Choose —" while the building and
    # the floor of that closed site were offered and selected beneath it.
    site, building, floor = world.triolet
    place = {"site": site, "building": building, "floor": floor}[deactivated]
    place.is_active = False
    db.session.commit()
    page = login(staff).get(URL).text
    kept = {"site": [], "building": [str(site.id)], "floor": [str(site.id), str(building.id)]}
    selected = [_list(page, name)[1] for name in ("site", "building", "floor")]
    assert [v for values in selected for v in values] == kept[deactivated]
    assert str(place.id) not in _list(page, deactivated)[0]
    if deactivated == "site":
        assert _list(page, "building") == ([], []) and _list(page, "floor") == ([], [])


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("checked_cable", {"checked_cable": ""}, "Vérifiez d’abord le câble"),
        (
            "checked_wifi",
            {"checked_wifi": "", "connection": "wifi"},
            "Vérifiez d’abord le Wi-Fi",
        ),
        ("wall_socket", {"wall_socket": ""}, "Indiquez le numéro de la prise murale."),
        ("wall_socket", {"wall_socket": "<script>"}, "Reprenez le numéro"),
        ("wall_socket", {"wall_socket": "B" * 31}, "30 caractères au plus"),
        ("working_socket", {"working_socket": "prise;2"}, "Reprenez le numéro"),
        ("since", {"since": ""}, "Indiquez depuis quand"),
        ("since", {"since": "hier"}, "Saisissez une date et une heure"),
        (
            "since",
            {"since": (dt.datetime.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
            "dans le futur",
        ),
        # A typo for this year: before its refusal, the ticket's pages failed (year 1 has
        # no Paris time).
        ("since", {"since": "0001-01-01T00:00"}, "à moins d’un an d’aujourd’hui"),
        ("since", {"since": "1926-12-05T09:30"}, "à moins d’un an d’aujourd’hui"),
        ("pc_name", {"pc_name": ""}, "Indiquez le nom de l’ordinateur."),
        ("pc_name", {"pc_name": "pc 12"}, "Recopiez le nom"),
        ("plugged_via", {"plugged_via": "usb"}, "Choisissez l’une des options."),
        ("connection", {"connection": ""}, "Choisissez filaire ou Wi-Fi."),
        ("description", {"description": ""}, "Décrivez le problème."),
        ("description", {"description": "court"}, "Entre 10 et 4\u202f000 caractères."),
        ("building", {"building": ""}, "Choisissez un bâtiment."),
    ],
)
def test_invalid_fields(world, staff, login, field, overrides, message):
    response = login(staff).submit(URL, _data(world.triolet, **overrides))
    assert response.status_code == 400
    errors = field_errors(response.text, field)
    assert any(message in e for e in errors), errors
    assert_nothing_saved()


def test_a_floor_of_another_building_is_refused(world, staff, login):
    response = login(staff).submit(URL, _data(world.triolet, floor=str(world.richter[2].id)))
    assert response.status_code == 400
    assert any("pas dans le bâtiment choisi" in e for e in field_errors(response.text, "floor"))
    assert_nothing_saved()


def test_a_refused_building_leaves_the_floor_alone(world, staff, login):
    # The floor is checked against a building that passed its own checks only.
    response = login(staff).submit(URL, _data(world.triolet, building="999999"))
    assert response.status_code == 400
    assert field_errors(response.text, "building") and field_errors(response.text, "floor") == []
    assert_nothing_saved()


def test_an_inactive_site_is_refused(world, staff, login):
    from desk.extensions import db

    world.stpriest[0].is_active = False
    db.session.commit()
    response = login(staff).submit(URL, _data(world.stpriest))
    assert response.status_code == 400
    assert field_errors(response.text, "site")
    # Nor are its buildings offered again under the refused site.
    assert _list(response.text, "building")[0] == []
    assert_nothing_saved()


def test_a_wired_connection_does_not_ask_for_the_wifi_check(world, staff, login):
    response = login(staff).submit(URL, _data(world.triolet, checked_wifi=""))
    assert response.status_code == 302
    assert "checked_wifi" not in only_ticket().data


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_a_wifi_connection_is_not_asked_for_a_cable_socket_or_plug(world, staff, login, locale):
    """On Wi-Fi there is no cable to check, no wall socket in use and nothing plugged into a
    docking station: the form asked for all three, so a Wi-Fi user could not send it truly."""
    staff.locale = locale
    db.session.commit()
    wifi = {"connection": "wifi", "checked_cable": "", "wall_socket": "", "plugged_via": ""}
    wifi["working_socket"] = ""
    response = login(staff).submit(URL, _data(world.triolet, **wifi))
    assert response.status_code == 302, response.text
    data = only_ticket().data
    assert data["checked_wifi"] is True and data["connection"] == "wifi"
    assert "checked_cable" not in data and "plugged_via" not in data
    assert data["wall_socket"] == ""
    # Its page does not list the socket questions it was not asked, with a "—" each.
    page = login(staff).get(f"/mes-demandes/{only_ticket().reference}").text
    assert 'id="wall_socket"' not in page
    for label in ("Number of the wall socket", "Numéro de la prise murale", "branché sur"):
        assert label not in page


@pytest.mark.parametrize(
    ("locale", "messages"),
    [
        (
            "fr",
            {
                "checked_cable": "Vérifiez d’abord le câble",
                "wall_socket": "Indiquez le numéro de la prise murale.",
                "plugged_via": "Indiquez comment l’ordinateur est branché.",
            },
        ),
        (
            "en",
            {
                "checked_cable": "Check the cable first",
                "wall_socket": "Enter the number of the wall socket.",
                "plugged_via": "Choose how the computer is plugged in.",
            },
        ),
    ],
)
def test_a_wired_connection_still_needs_the_cable_socket_and_plug(
    world, staff, login, locale, messages
):
    staff.locale = locale
    db.session.commit()
    empty = {"checked_cable": "", "wall_socket": "", "plugged_via": ""}
    response = login(staff).submit(URL, _data(world.triolet, **empty))
    assert response.status_code == 400
    for name, message in messages.items():
        errors = field_errors(response.text, name)
        assert len(errors) == 1 and message in errors[0], (name, errors)
    assert_nothing_saved()


def test_a_socket_typed_on_wifi_is_still_checked(world, staff, login):
    data = _data(world.triolet, connection="wifi", wall_socket="<script>", plugged_via="usb")
    response = login(staff).submit(URL, data)
    assert response.status_code == 400
    assert any("Reprenez le numéro" in e for e in field_errors(response.text, "wall_socket"))
    assert field_errors(response.text, "plugged_via") == ["Choisissez l’une des options."]
    assert_nothing_saved()


WIFI_CHECK = "Si j’utilise le Wi-Fi : il est activé et je suis connecté au bon réseau."


def test_the_ticket_shows_the_wifi_check_only_for_a_wifi_connection(world, staff, login):
    """A wired ticket read "If I use Wi-Fi: it is switched on… No" even with the box ticked,
    as if the requester had not checked; older tickets stored that False."""
    client = login(staff)
    assert client.submit(URL, _data(world.triolet)).status_code == 302
    wired = only_ticket()
    url = f"/mes-demandes/{wired.reference}"
    assert WIFI_CHECK not in client.get(url).text
    wired.data = {**wired.data, "checked_wifi": False}
    db.session.commit()
    assert WIFI_CHECK not in client.get(url).text
    wired.data = {**wired.data, "connection": "wifi", "checked_wifi": True}
    db.session.commit()
    page = client.get(url).text
    answer = page[page.index(WIFI_CHECK) : page.index(WIFI_CHECK) + 200]
    assert "Oui" in answer and "Non" not in answer


def test_site_and_building_are_marked_required_and_the_mark_explained(world, staff, login):
    page = login(staff).get(URL).text
    for name in ("site", "building", "wall_socket"):
        label = page.index(f'<label for="{name}"')
        element = page[label : page.index("</label>", label)]
        # Inside the label, held to its last word: it cannot wrap onto a line of its own.
        assert element.endswith('&nbsp;<span class="req" aria-hidden="true">*</span>'), element
    floor = page.index('<label for="floor"')
    assert 'class="req"' not in page[floor : floor + 80]
    assert "champ obligatoire" in page


def test_since_when_reads_the_same_in_both_languages(world, staff, login):
    """Typed in Paris time; shown day first in English too ("5 Mar 2026, 09:30", never the
    US "3/5/26, 9:30 AM")."""
    client = login(staff)
    # Within the past year (older is refused), on a day whose number reads as a month.
    day = dt.date.today() - dt.timedelta(days=40)
    day = day.replace(day=5)
    response = client.submit(URL, _data(world.triolet, since=f"{day.isoformat()}T09:30"))
    assert response.status_code == 302
    url = f"/mes-demandes/{only_ticket().reference}"
    assert f"05/{day:%m/%Y} 09:30" in client.get(url).text
    staff.locale = "en"
    db.session.commit()
    page = client.get(url).text
    assert f"5 {day:%b %Y}, 09:30" in page and f"{day.month}/5/{day:%y}" not in page


@pytest.mark.parametrize(
    ("locale", "example", "typed"),
    [("fr", "14/03/2026 09:30", "%d/%m/%Y %H:%M"), ("en", "2026-03-14 09:30", "%Y-%m-%d %H:%M")],
)
def test_since_when_typed_as_the_message_s_example_is_accepted(
    world, staff, login, locale, example, typed
):
    """Without a date picker people type what the error message shows: its English example
    (a space, not the browser's "T") was itself refused."""
    staff.locale = locale
    db.session.commit()
    client = login(staff)
    refused = client.submit(URL, _data(world.triolet, since="hier"))
    assert any(example in e for e in field_errors(refused.text, "since"))
    since = (dt.datetime.now() - dt.timedelta(days=2)).replace(hour=9, minute=30)
    response = client.submit(URL, _data(world.triolet, since=since.strftime(typed)))
    assert response.status_code == 302, field_errors(response.text, "since")
    assert only_ticket().data["since"].startswith(f"{since:%Y-%m-%d}T09:30")


def test_the_place_reads_in_the_reader_s_language(world, staff, login):
    """Kept in the data as its requester read it, shown in the reader's language from the
    ticket's place, as the details give it."""
    site, building, floor = world.triolet
    site.name_en, building.name_en = "Triolet campus", "Building 1 Triolet"
    db.session.commit()
    client = login(staff)
    assert client.submit(URL, _data(world.triolet)).status_code == 302
    ticket = only_ticket()
    assert ticket.data["place"].startswith(f"{site.name} › ")
    staff.locale = "en"
    db.session.commit()
    page = client.get(f"/mes-demandes/{ticket.reference}").text
    assert f"Triolet campus › Building 1 Triolet › {floor.name}" in page
    assert site.name + " ›" not in page


def test_a_stored_moment_paris_time_cannot_show_still_shows_its_page(world, staff, login):
    """A ticket whose "since" was stored before the year check (year 1, older than Paris
    time): its pages show the value as stored instead of failing."""
    client = login(staff)
    assert client.submit(URL, _data(world.triolet)).status_code == 302
    ticket = only_ticket()
    ticket.data = {**ticket.data, "since": "0001-01-01T00:00:00+00:09:21"}
    db.session.commit()
    response = client.get(f"/mes-demandes/{ticket.reference}")
    assert response.status_code == 200
    assert "0001-01-01T00:00:00+00:09:21" in response.text
