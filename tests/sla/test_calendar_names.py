"""Calendars have an optional English name: typed by admins, read from the reference file,
shown on English pages; a French name shown there is marked lang="fr" (RGAA 8.7)."""

from __future__ import annotations

from sqlalchemy import select

from desk.auth.models import Role
from desk.extensions import db
from desk.reference.loader import load_reference
from desk.sla.models import SlaCalendar
from tests.sla.test_sla_views import GOOD_CALENDAR
from tests.support.factories import make_user


def _admin(locale: str = "fr"):
    return make_user(f"admin-{locale}@umontpellier.fr", role=Role.ADMIN, locale=locale)


def test_admin_gives_a_calendar_an_english_name(login, db):
    client = login(_admin())
    form = client.get("/sla/calendars/new").text
    assert 'id="name_en"' in form and 'lang="en"' in form
    response = client.submit("/sla/calendars/new", {**GOOD_CALENDAR, "name_en": "Working days"})
    assert response.status_code == 302, response.text[-800:]
    calendar = db.session.scalar(select(SlaCalendar))
    assert calendar.name_en == "Working days"
    assert 'value="Working days"' in client.get(f"/sla/calendars/{calendar.id}").text


def test_english_pages_show_english_names_and_mark_french_ones(login, workday):
    other = SlaCalendar(name="Astreinte", name_en="On call", weekly_hours={}, holidays=[])
    db.session.add(other)
    db.session.commit()
    client = login(_admin("en"))
    settings = client.get("/sla/settings").text
    assert ">On call</a>" in settings
    assert '<span lang="fr">Jours ouvrés 8h–17h</span>' in settings
    assert "Astreinte" not in settings
    policy = client.get("/sla/policies/new").text
    assert f'<option lang="fr" value="{workday.id}">Jours ouvrés 8h–17h</option>' in policy
    assert f'<option value="{other.id}">On call</option>' in policy
    page = client.get(f"/sla/calendars/{workday.id}").text
    assert '<h1><span lang="fr">Jours ouvrés 8h–17h</span></h1>' in page
    # French pages never mark French names.
    french = login(_admin()).get("/sla/settings").text
    assert 'lang="fr"' not in french.split("<main", 1)[1]


def test_the_reference_file_reads_english_calendar_names(db, tmp_path):
    path = tmp_path / "ref.yaml"
    path.write_text(
        'calendars:\n  - name: "Jours ouvrés"\n    name_en: "Working days"\n'
        '    hours: ["lun-ven 08:00-17:00"]\n',
        encoding="utf-8",
    )
    load_reference(path)
    assert db.session.scalar(select(SlaCalendar)).name_en == "Working days"


def test_a_too_long_name_gets_desk_s_message(login, db):
    # It showed WTForms' own "Field cannot be longer than 120 characters.", unlike its sibling.
    client = login(_admin())
    response = client.submit("/sla/calendars/new", {**GOOD_CALENDAR, "name": "x" * 121})
    assert response.status_code == 400
    error = response.text.split('id="name-error"')[1].split("</")[0]
    assert "Le nom est trop long." in error and "Le champ" not in error, error
    assert db.session.scalar(select(SlaCalendar)) is None
