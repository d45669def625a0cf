"""Wi-Fi guest accounts for an event: valid paths (count, CSV), every invalid input, staff only."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from desk.extensions import db
from desk.tickets.models import Attachment
from tests.catalog.world import assert_nothing_saved, field_errors, only_ticket
from tests.support.factories import make_user

URL = "/catalogue/comptes-wifi"


def _today() -> dt.date:
    return dt.date.today() + dt.timedelta(days=1)  # tomorrow: "not in the past" in any zone


def _data(world, **overrides):
    first = _today()
    data = {
        "event_name": "Colloque de chimie verte",
        "site": str(world.triolet[0].id),
        "building": str(world.triolet[1].id),
        "first_day": first.isoformat(),
        "last_day": (first + dt.timedelta(days=2)).isoformat(),
        "guest_count": "40",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _csv(content: bytes, name: str = "invites.csv"):
    return (io.BytesIO(content), name)


def test_count_creates_a_request_in_the_network_queue(world, staff, login):
    client = login(staff)
    response = client.submit(URL, _data(world))
    assert response.status_code == 302
    ticket = only_ticket()
    assert response.headers["Location"].endswith(f"/catalogue/confirmation/{ticket.reference}")
    assert ticket.reference.startswith(f"DEM-{dt.date.today().year}-")
    assert ticket.queue.code == "reseau" and ticket.domain.code == "it"
    assert ticket.data["guest_count"] == 40
    assert ticket.data["event_name"] == "Colloque de chimie verte"
    assert ticket.site_id == world.triolet[0].id and ticket.building_id == world.triolet[1].id
    page = client.get(f"/mes-demandes/{ticket.reference}").text
    assert "Colloque de chimie verte" in page and "Campus Triolet" in page


@pytest.mark.parametrize(
    ("content", "encoding_name"),
    [
        (
            "nom;prénom;e-mail;organisation\r\nDupré;Élodie;E.Dupre@Example.org;CNRS\r\n"
            "Martin;Jean;;\r\n".encode("cp1252"),
            "windows-1252",
        ),
        ("\ufeffnom,prénom\nDupré,Élodie\nMartin,Jean\n".encode(), "utf-8 BOM, comma"),
    ],
)
def test_csv_guests_are_stored_and_the_file_kept(world, staff, login, content, encoding_name):
    client = login(staff)
    response = client.submit(
        URL,
        _data(world, guest_count="", guest_file=_csv(content)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, field_errors(response.text, "guest_file")
    ticket = only_ticket()
    assert ticket.data["guest_count"] == 2
    first = ticket.data["guests"][0]
    assert (first["last_name"], first["first_name"]) == ("Dupré", "Élodie")
    attachment = ticket.events[0].attachments[0]
    assert isinstance(attachment, Attachment) and attachment.filename == "invites.csv"
    page = client.get(f"/mes-demandes/{ticket.reference}").text
    assert "Élodie" in page and "2 invités" in page


def _refused(client, world, field, message, **overrides):
    response = client.submit(URL, _data(world, **overrides), content_type="multipart/form-data")
    assert response.status_code == 400
    errors = field_errors(response.text, field)
    assert any(message in e for e in errors), errors
    assert_nothing_saved()
    return errors


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("event_name", {"event_name": ""}, "Indiquez le nom de l’événement."),
        ("event_name", {"event_name": "x" * 151}, "150 caractères au plus"),
        ("first_day", {"first_day": ""}, "Indiquez le premier jour."),
        ("first_day", {"first_day": "14/13/2026"}, "Saisissez une date"),
        (
            "first_day",
            {"first_day": "2020-01-01", "last_day": "2020-01-02"},
            "ne peut pas être dans le passé",
        ),
        # Years ahead is a typo: accounts would open on the wrong dates.
        (
            "first_day",
            {"first_day": "2062-12-10", "last_day": "2062-12-11"},
            "à moins d’un an d’aujourd’hui",
        ),
        (
            "first_day",
            {"first_day": "9999-12-30", "last_day": "9999-12-31"},
            "à moins d’un an d’aujourd’hui",
        ),
        ("last_day", {"last_day": ""}, "Indiquez le dernier jour."),
        ("guest_count", {"guest_count": ""}, "Indiquez le nombre d’invités"),
        ("guest_count", {"guest_count": "0"}, "Entre 1 et 2\u202f000 invités."),
        ("guest_count", {"guest_count": "2001"}, "Entre 1 et 2\u202f000 invités."),
        ("guest_count", {"guest_count": "douze"}, "Saisissez un nombre entier."),
        # Python's int() reads these as 3, 12 and 1000: desk reads ASCII digits only, as
        # every other number of its forms and URLs (desk.core.input.parse_int).
        ("guest_count", {"guest_count": "\u0663"}, "Saisissez un nombre entier."),
        ("guest_count", {"guest_count": "\uff11\uff12"}, "Saisissez un nombre entier."),
        ("guest_count", {"guest_count": "1_000"}, "Saisissez un nombre entier."),
        ("guest_count", {"guest_count": "+40"}, "Saisissez un nombre entier."),
        ("site", {"site": "", "building": ""}, "Choisissez un site."),
        ("building", {"building": ""}, "Choisissez un bâtiment."),
        ("site", {"site": "999999"}, "Choisissez un site dans la liste."),
    ],
)
def test_invalid_fields_are_refused(world, staff, login, field, overrides, message):
    _refused(login(staff), world, field, message, **overrides)


def test_last_day_before_first_day(world, staff, login):
    first = _today() + dt.timedelta(days=5)
    _refused(
        login(staff),
        world,
        "last_day",
        "doit être le premier jour ou après",
        first_day=first.isoformat(),
        last_day=(first - dt.timedelta(days=1)).isoformat(),
    )


def test_more_than_31_days(world, staff, login):
    first = _today()
    client = login(staff)
    _refused(
        client,
        world,
        "last_day",
        "31 jours au plus",
        last_day=(first + dt.timedelta(days=31)).isoformat(),
    )
    response = client.submit(
        URL, _data(world, last_day=(first + dt.timedelta(days=30)).isoformat())
    )
    assert response.status_code == 302  # 31 days counted inclusively is accepted


@pytest.mark.parametrize(("days", "message"), [(-40, "dans le passé"), (400, "moins d’un an")])
def test_a_refused_first_day_leaves_a_good_last_day_alone(world, staff, login, days, message):
    """The last day is measured from the first day: from a first day in the past (or years
    ahead) a good last day was also refused, as if it were the one to change."""
    first = dt.date.today() + dt.timedelta(days=days)
    response = login(staff).submit(
        URL,
        _data(
            world,
            first_day=first.isoformat(),
            last_day=(_today() + dt.timedelta(days=2)).isoformat(),
        ),
    )
    assert response.status_code == 400
    assert any(message in e for e in field_errors(response.text, "first_day"))
    assert field_errors(response.text, "last_day") == []
    assert_nothing_saved()


def test_building_of_another_site(world, staff, login):
    _refused(
        login(staff),
        world,
        "building",
        "n’est pas sur le site choisi",
        building=str(world.richter[1].id),
    )


@pytest.mark.parametrize("site", ["", "999999"])
def test_a_refused_site_leaves_the_building_alone(world, staff, login, site):
    """A building is checked against a site that passed its own checks only: with none, or
    one not in the list, "choose a site" alone says what is wrong."""
    response = login(staff).submit(URL, _data(world, site=site))
    assert response.status_code == 400
    assert field_errors(response.text, "site")
    assert field_errors(response.text, "building") == []
    assert_nothing_saved()


def test_count_and_file_together_are_refused(world, staff, login):
    _refused(login(staff), world, "guest_count", "pas les deux", guest_file=_csv(b"Dupont;Marie\n"))


def test_every_bad_row_is_reported_with_line_and_column(world, staff, login):
    content = (
        "nom;prénom;e-mail\n"
        "Dupont;Marie;marie@example.org\n"
        ";Paul;paul@example.org\n"
        "Durand;Luc;pas-une-adresse\n"
    ).encode()
    errors = _refused(
        login(staff), world, "guest_file", "Ligne 3", guest_count="", guest_file=_csv(content)
    )
    assert any("Ligne 3" in e and "nom" in e for e in errors), errors
    assert any("Ligne 4" in e and "e-mail" in e for e in errors), errors
    assert len(errors) == 2, errors  # two problems, two errors: no preamble counted as one


def test_a_guest_name_that_could_not_be_read_is_refused(world, staff, login):
    """U+FFFD in the file itself (saved again by an editor that misread its encoding) would
    have named a guest account "Dupr\ufffd": the row is reported instead, nothing saved."""
    staff.locale = "en"
    db.session.commit()
    content = "nom;prénom\nDupr\ufffd;Élodie\nMartin;Jean\n".encode()
    errors = _refused(
        login(staff), world, "guest_file", "Line 2", guest_count="", guest_file=_csv(content)
    )
    assert len(errors) == 1 and "last name" in errors[0] and "could not be read" in errors[0]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("nom;prénom\nDupont;Marie\n".encode("utf-16-le"), "invites.csv", "pas un fichier CSV"),
        (b"PK\x03\x04binary", "invites.csv", "classeur"),
        (b"nom;pr\x81nom\n", "invites.csv", "Encodage illisible"),
        (b"Dupont;Marie\n" * 45_000, "invites.csv", "trop volumineux"),
        (b"Dupont;Marie\n", "invites.pdf", "Envoyez un fichier CSV"),
        (b"nom;prenom\n", "invites.csv", "ne contient aucun invité"),
    ],
)
def test_unreadable_files_are_refused(world, staff, login, content, name, message):
    errors = _refused(
        login(staff), world, "guest_file", message, guest_count="", guest_file=_csv(content, name)
    )
    assert errors


def test_too_many_guests_in_the_file(world, staff, login):
    rows = "".join(f"Nom{i};Prénom{i}\n" for i in range(2001)).encode()
    _refused(
        login(staff), world, "guest_file", "Trop d’invités", guest_count="", guest_file=_csv(rows)
    )


def test_students_are_refused_and_see_the_entry_marked(world, login):
    student = make_user("leo.petit@etu.umontpellier.fr", is_staff=False)
    client = login(student)
    catalogue = client.get("/catalogue").text
    assert "Réservé aux personnels" in catalogue
    assert f'href="{URL}"' not in catalogue
    response = client.get(URL)
    assert response.status_code == 403
    assert "réservée aux personnels" in response.text
    response = client.post(URL, data=_data(world, csrf_token=client.last_csrf))
    assert response.status_code == 403
    assert_nothing_saved()


def test_refresh_narrows_the_lists_and_saves_nothing(world, staff, login):
    client = login(staff)
    response = client.submit(URL, _data(world, site=str(world.richter[0].id), refresh="1"))
    assert response.status_code == 200
    assert "Bâtiment 1 Campus Richter" in response.text
    assert "Bâtiment 1 Campus Triolet" not in response.text
    assert "errors" not in response.text.split("<main")[1].split("</form>")[0].replace(
        "form-errors", ""
    )
    assert_nothing_saved()


def test_the_form_offers_the_self_service_link_and_a_sample_file(world, staff, login):
    client = login(staff)
    page = client.get(URL).text
    assert "ent.umontpellier.fr" in page
    # Both days say how they are bound (and stand level, each with its hint).
    assert "31 jours au plus, le premier et le dernier compris." in page
    sample = client.get("/catalogue/modele-invites.csv")
    assert sample.status_code == 200
    assert sample.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in sample.headers["Content-Disposition"]


def test_an_event_months_ahead_is_accepted(world, staff, login):
    first = _today() + dt.timedelta(days=300)
    response = login(staff).submit(
        URL,
        _data(
            world,
            first_day=first.isoformat(),
            last_day=(first + dt.timedelta(days=1)).isoformat(),
        ),
    )
    assert response.status_code == 302
    assert only_ticket().data["first_day"] == first.isoformat()


def test_one_guest_is_not_counted_as_guests(world, staff, login):
    client = login(staff)
    staff.locale = "en"
    db.session.commit()
    response = client.submit(
        URL,
        _data(world, guest_count="", guest_file=_csv(b"Dupont;Marie\n")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, field_errors(response.text, "guest_file")
    page = client.get(f"/mes-demandes/{only_ticket().reference}").text
    assert "1 guest<" in page and "1 guests" not in page


@pytest.mark.parametrize(
    ("locale", "header", "filename"),
    [
        ("fr", "nom;prénom;e-mail;organisme", "modele-invites.csv"),
        ("en", "last name,first name,e-mail,organisation", "guests-sample.csv"),
    ],
)
def test_the_sample_file_is_in_the_reader_s_language_and_reads_back(
    world, staff, login, locale, header, filename
):
    """English readers got French headings, French Excel's ";" separator and a French name."""
    client = login(staff)
    staff.locale = locale
    db.session.commit()
    download = client.get("/catalogue/modele-invites.csv")
    assert download.headers["Content-Disposition"] == f"attachment; filename={filename}"
    sample = download.data
    assert sample.decode("utf-8-sig").splitlines()[0] == header
    response = client.submit(
        URL,
        _data(world, guest_count="", guest_file=_csv(sample, "sample.csv")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, field_errors(response.text, "guest_file")
    guests = only_ticket().data["guests"]
    assert [(g["last_name"], g["organisation"]) for g in guests] == [
        ("Dupont", "Université de Lyon"),
        ("Martin", "CNRS"),
    ]
