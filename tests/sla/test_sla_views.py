"""Admin forms (bad input: message next to the field, nothing saved), permissions, report."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from desk.extensions import db
from desk.sla.models import SlaCalendar, SlaPolicy
from desk.tickets.models import Status
from tests.sla.conftest import add_policy, new_ticket, paris
from tests.support.factories import make_request_type, make_user

GOOD_CALENDAR = {
    "name": "Support 8h–18h",
    "timezone": "Europe/Paris",
    "weekly_hours": "lun-ven 08:00-12:00 13:30-18:00\nsam 09:00-12:00",
    "holidays": "2026-12-25\n2027-01-01 Jour de l'an",
    "holiday_country": "FR",
    "holiday_years": "",
    "save": "1",
}


@pytest.fixture
def admin(db):
    return make_user(role="admin")


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _error_of(html: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error">(.*?)</ul>', html, re.S)
    assert match, f"no error next to {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_admin_creates_a_calendar(login, admin):
    client = login(admin)
    response = client.submit("/sla/calendars/new", GOOD_CALENDAR)
    assert response.status_code == 302, response.text
    calendar = db.session.scalar(select(SlaCalendar))
    assert calendar.weekly_hours["0"] == [["08:00", "12:00"], ["13:30", "18:00"]]
    assert calendar.weekly_hours["5"] == [["09:00", "12:00"]]
    assert calendar.holidays == ["2026-12-25", "2027-01-01"]
    page = client.get(f"/sla/calendars/{calendar.id}").text
    assert "lun-ven 08:00-12:00 13:30-18:00" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Europe/Pari", "Vouliez-vous dire Europe/Paris ?"),
        ("timezone", "Mars/Olympus", "Fuseau horaire inconnu"),
        # The host's own zone (due dates would follow the machine) and a placeholder file.
        ("timezone", "localtime", "Fuseau horaire inconnu"),
        ("timezone", "Factory", "Fuseau horaire inconnu"),
        ("weekly_hours", "", "ne s’ouvre jamais"),
        ("weekly_hours", "sam fermé\ndim fermé", "ne s’ouvre jamais"),
        ("weekly_hours", "lun 17:00-08:00", "se termine avant de commencer"),
        ("weekly_hours", "lun 08:00-12:00 11:00-14:00", "se chevauchent"),
        ("weekly_hours", "lundo 08:00-12:00", "n’est pas un jour de la semaine"),
        ("weekly_hours", "lun 08:00-25:00", "n’est pas une heure"),
        ("holidays", "2026-12-25\n2026-02-30", "Ligne 2"),
        ("holidays", "25/12/2026", "AAAA-MM-JJ"),
        ("name", "", "Donnez un nom"),
    ],
)
def test_bad_calendar_input_shows_a_message_and_saves_nothing(login, admin, field, value, message):
    response = login(admin).submit("/sla/calendars/new", {**GOOD_CALENDAR, field: value})
    assert response.status_code == 400
    assert message in _error_of(response.text, field)
    assert _count(SlaCalendar) == 0


def test_a_long_wrong_time_zone_is_echoed_cut(login, admin):
    # The message names what was typed, not 5,000 characters of it.
    response = login(admin).submit("/sla/calendars/new", {**GOOD_CALENDAR, "timezone": "Zz" * 2500})
    message = _error_of(response.text, "timezone")
    assert "Fuseau horaire inconnu" in message and f"« {'Zz' * 20}… »" in message
    assert len(message) < 200
    assert _count(SlaCalendar) == 0


def test_a_closure_typed_as_a_range_closes_every_day_of_it(login, admin):
    # "2026-12-24 - 2027-01-01" closed the 24th alone: the rest was read as its label, and
    # the clock ran through the university's winter closure.
    holidays = (
        "2026-12-24 - 2027-01-01 Fermeture d’hiver\n2027-05-07 au 2027-05-08\n2026-11-10 - Pont"
    )
    response = login(admin).submit("/sla/calendars/new", {**GOOD_CALENDAR, "holidays": holidays})
    assert response.status_code == 302, response.text
    closed = db.session.scalar(select(SlaCalendar.holidays))
    assert closed == ["2026-11-10"] + [f"2026-12-{d}" for d in range(24, 32)] + [
        "2027-01-01",
        "2027-05-07",
        "2027-05-08",
    ]


@pytest.mark.parametrize(
    ("holidays", "message"),
    [
        ("2026-12-24 - 2026-12-01", "Line 1: the range “2026-12-24 - 2026-12-01” ends before"),
        ("2026-12-25\n2026-01-01..2027-01-02", "Line 2: a range of closed days is at most one"),
        ("2026-12-24 au 2026-12-32", "Line 1: “2026-12-32” is not a date written YYYY-MM-DD"),
    ],
)
def test_a_wrong_range_of_closed_days_is_refused(login, db, holidays, message):
    client = login(make_user(role="admin", locale="en"))
    response = client.submit("/sla/calendars/new", {**GOOD_CALENDAR, "holidays": holidays})
    assert response.status_code == 400
    assert message in _error_of(response.text, "holidays")
    assert _count(SlaCalendar) == 0


def test_calendar_name_must_be_unique(login, admin, workday):
    response = login(admin).submit("/sla/calendars/new", {**GOOD_CALENDAR, "name": workday.name})
    assert "Un autre calendrier porte déjà ce nom" in _error_of(response.text, "name")
    assert _count(SlaCalendar) == 1


def test_generate_french_holidays_fills_the_list_without_saving(login, admin):
    response = login(admin).submit(
        "/sla/calendars/new",
        {**GOOD_CALENDAR, "save": "", "generate": "1", "holiday_years": "2026-2027"},
    )
    assert response.status_code == 200
    holidays = (
        re.search(r'<textarea[^>]*name="holidays"[^>]*>(.*?)</textarea>', response.text, re.S)
        .group(1)
        .split()
    )
    assert {"2026-07-14", "2027-05-17", "2026-12-25", "2027-01-01"} <= set(holidays)
    assert _count(SlaCalendar) == 0


def test_generate_holidays_with_a_bad_year_or_country(login, admin):
    client = login(admin)
    response = client.submit(
        "/sla/calendars/new",
        {**GOOD_CALENDAR, "save": "", "generate": "1", "holiday_years": "20x6"},
    )
    assert "n’est pas une année" in _error_of(response.text, "holiday_years")
    response = client.submit(
        "/sla/calendars/new",
        {
            **GOOD_CALENDAR,
            "save": "",
            "generate": "1",
            "holiday_years": "2026",
            "holiday_country": "ZZ",
        },
    )
    assert "code de pays" in _error_of(response.text, "holiday_country")
    assert _count(SlaCalendar) == 0


def _policy_data(request_type, calendar, **changes):
    return {
        "request_type": str(request_type.id),
        "calendar": str(calendar.id),
        "first_response": "4h",
        "resolution": "2 j ouvrés",
        "warning_percent": "75",
        "save": "1",
        **changes,
    }


def test_admin_creates_a_policy_in_working_days(login, admin, workday, app):
    rt = make_request_type()
    client = login(admin)
    response = client.submit("/sla/policies/new", _policy_data(rt, workday))
    assert response.status_code == 302, response.text
    policy = db.session.scalar(select(SlaPolicy))
    assert (policy.first_response_minutes, policy.resolution_minutes) == (240, 1080)
    assert app.extensions["redis"].llen("celery") >= 1  # the recompute task is queued
    page = client.get(f"/sla/policies/{policy.id}").text
    assert 'value="2 j"' in page and 'value="4 h"' in page
    settings = client.get("/sla/settings").text
    assert "2 jours ouvrés" in settings and "4 heures ouvrées" in settings


@pytest.mark.parametrize(
    ("first", "resolution", "minutes"),
    [
        # As the settings page describes targets, in each language; qualifier before or
        # after the unit.
        ("4 heures ouvrées", "2 jours ouvrés", (240, 1080)),
        ("4 business hours", "2 working days", (240, 1080)),
        ("90 working minutes", "1 business day", (90, 540)),
        ("1h30", "2 days working", (90, 1080)),
    ],
)
def test_a_target_is_read_as_either_language_writes_it(
    login, admin, workday, first, resolution, minutes
):
    data = _policy_data(make_request_type(), workday, first_response=first, resolution=resolution)
    assert login(admin).submit("/sla/policies/new", data).status_code == 302
    policy = db.session.scalar(select(SlaPolicy))
    assert (policy.first_response_minutes, policy.resolution_minutes) == minutes


def test_an_english_admin_reads_english_examples(login, workday):
    english = login(make_user(role="admin", locale="en"))
    page = english.get("/sla/policies/new").text
    assert "e.g. 4h, 90min or 1 working day" in page and "j ouvré" not in page
    data = _policy_data(make_request_type(), workday, resolution="2 working weeks")
    response = english.submit("/sla/policies/new", data)
    assert response.status_code == 400
    message = _error_of(response.text, "resolution")
    assert "is not a duration: write e.g. 4h, 90min, 1h30 or 2 working days." in message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("resolution", "0h", "plus longue que zéro"),
        ("resolution", "-2 j", "plus longue que zéro"),
        ("first_response", "0", "n’est pas une durée"),
        ("first_response", "quatre heures", "n’est pas une durée"),
        # int() refuses 5,000 digits; 400 digits are an infinite float: both were a 500.
        ("first_response", "9" * 5000 + "h30", "trop long"),
        ("resolution", "9" * 400 + " min", "trop long"),
        ("resolution", "9" * 400 + ",5 h", "trop long"),
        # One year of this calendar (Monday to Friday, 9 h) is 261 working days: 975 of them
        # (a year of clock minutes) were taken, under a message saying "one year at most".
        ("resolution", "262 j ouvrés", "un an au plus"),
        ("resolution", "975 working days", "un an au plus"),
        ("first_response", "2400 h", "un an au plus"),
        # Minutes past 59 after the hours were taken as more hours: "1h75" saved 2 h 15.
        ("resolution", "1h75", "n’est pas une durée"),
        ("warning_percent", "0", "entre 1 et 99"),
        ("warning_percent", "120", "entre 1 et 99"),
        ("warning_percent", "²", "entre 1 et 99"),
        ("warning_percent", "9" * 5000, "entre 1 et 99"),
    ],
)
def test_bad_policy_input_shows_a_message_and_saves_nothing(
    login, admin, workday, field, value, message
):
    rt = make_request_type()
    response = login(admin).submit("/sla/policies/new", _policy_data(rt, workday, **{field: value}))
    assert response.status_code == 400
    assert message in _error_of(response.text, field)
    assert _count(SlaPolicy) == 0


def test_hours_that_would_stretch_a_policy_past_a_year_are_refused(login, db):
    # A year's target typed on 24/7 hours, which the admin then cut to one minute a week:
    # the target became ten thousand years, and each new ticket of the type a server error.
    calendar = SlaCalendar(name="Calendrier", timezone="Europe/Paris", weekly_hours={})
    calendar.weekly_hours = {str(d): [["00:00", "24:00"]] for d in range(7)}
    db.session.add(calendar)
    db.session.commit()
    request_type = make_request_type()
    client = login(make_user(role="admin", locale="en"))
    data = _policy_data(request_type, calendar, first_response="", resolution="365 d")
    assert client.submit("/sla/policies/new", data).status_code == 302
    shrunk = {**GOOD_CALENDAR, "name": "Calendrier", "weekly_hours": "sam 00:00-00:01"}
    response = client.submit(f"/sla/calendars/{calendar.id}", shrunk)
    assert response.status_code == 400
    message = _error_of(response.text, "weekly_hours")
    assert f"the policy of “{request_type.title_en}” would have a target longer than one year" in (
        message
    )
    db.session.expire_all()
    assert calendar.weekly_hours["0"] == [["00:00", "24:00"]]
    # Hours that keep the target within a year of them are saved.
    kept = {**shrunk, "weekly_hours": "lun-sam 00:00-24:00"}
    response = client.submit(f"/sla/calendars/{calendar.id}", kept)
    assert response.status_code == 400  # 365 days of 24 h do not fit in a year of six days
    kept["weekly_hours"] = "lun-dim 00:00-24:00"
    kept["holidays"] = "2026-12-25"
    assert client.submit(f"/sla/calendars/{calendar.id}", kept).status_code == 302
    ticket = new_ticket(request_type, paris(2026, 12, 7, 9, 0))
    assert ticket.resolution_due_at is not None


@pytest.mark.parametrize(
    ("weekly", "longest"),
    [
        # 52 weeks and 2 days of opening, each calendar's own days.
        ({str(d): [["08:00", "17:00"]] for d in range(5)}, ("261 j ouvrés", 261 * 540)),
        ({str(d): [["00:00", "24:00"]] for d in range(7)}, ("366 j", 366 * 1440)),
    ],
)
def test_a_target_of_one_year_of_the_calendar_is_the_longest(login, admin, weekly, longest):
    calendar = SlaCalendar(name="Calendrier", timezone="Europe/Paris", weekly_hours=weekly)
    db.session.add(calendar)
    db.session.commit()
    client = login(admin)
    data = _policy_data(make_request_type(), calendar, first_response="", resolution=longest[0])
    assert client.submit("/sla/policies/new", data).status_code == 302
    assert db.session.scalar(select(SlaPolicy.resolution_minutes)) == longest[1]
    data = _policy_data(make_request_type(), calendar, first_response=f"{longest[1] + 1} min")
    response = client.submit("/sla/policies/new", data)
    assert "un an au plus" in _error_of(response.text, "first_response")


def test_the_policy_form_says_what_a_working_day_is_on_each_calendar(login, workday):
    """Targets are typed in working days: a day is the calendar's average open day."""
    shorter = SlaCalendar(
        name="Support 8h–18h",
        name_en="Support desk",
        weekly_hours={
            **{str(d): [["08:00", "12:00"], ["13:30", "18:00"]] for d in range(5)},
            "5": [["09:00", "12:00"]],
        },
    )
    db.session.add(shorter)
    db.session.commit()
    page = login(make_user(role="admin", locale="en")).get("/sla/policies/new").text
    hint = " ".join(page.split('id="resolution-hint">', 1)[1].split("</p>", 1)[0].split())
    # 45 h 30 a week over six days; the French name marked as such on the English page.
    assert "On “Support desk”, 1 working day = 7 h 35 of opening time." in hint
    assert (
        'On “<span lang="fr">Jours ouvrés 8h–17h</span>”, 1 working day = 9 h 00 of opening time.'
    ) in hint


def test_policy_needs_a_target(login, admin, workday):
    rt = make_request_type()
    response = login(admin).submit(
        "/sla/policies/new", _policy_data(rt, workday, first_response="", resolution="")
    )
    assert "objectif de première réponse" in _error_of(response.text, "resolution")
    assert _count(SlaPolicy) == 0


def test_one_policy_per_request_type(login, admin, zoom, workday):
    response = login(admin).submit("/sla/policies/new", _policy_data(zoom, workday))
    assert response.status_code == 400
    assert _count(SlaPolicy) == 1


def test_removing_a_policy(login, admin, zoom):
    client = login(admin)
    policy = db.session.scalar(select(SlaPolicy))
    response = client.submit(f"/sla/policies/{policy.id}/delete", {}, page="/sla/settings")
    assert response.status_code == 302
    assert _count(SlaPolicy) == 0


@pytest.mark.parametrize("url", ["/sla/settings", "/sla/calendars/new", "/sla/policies/new"])
def test_only_admins_edit_settings(login, db, url):
    assert login(make_user()).get(url).status_code == 403
    assert login(make_user(role="technician")).get(url).status_code == 403
    assert login(make_user(role="admin")).get(url).status_code == 200


def test_requester_may_not_see_the_report(login, db):
    assert login(make_user()).get("/sla/report").status_code == 403


def test_report_per_queue_and_request_type_with_a_local_chart(
    login, zoom, network, technician, workday
):
    new_ticket(zoom, paris(2026, 3, 20, 16, 30), status="resolved", resolution_met=True)
    new_ticket(zoom, paris(2026, 3, 20, 16, 30), status="resolved", resolution_met=False)
    new_ticket(
        network,
        paris(2026, 3, 18, 15, 0),
        first_response_met=True,
        first_responded_at=paris(2026, 3, 18, 15, 30),
    )  # still open, past its due date
    other = make_request_type()  # another queue: not the technician's
    add_policy(other, workday, resolution=60)
    new_ticket(other, paris(2026, 3, 20, 9, 0))
    new_ticket(zoom, paris(2026, 4, 2, 9, 0), status="resolved", resolution_met=False)  # later
    response = login(technician).get("/sla/report?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200
    html = response.text
    assert "<svg" in html and 'class="bar"' in html
    assert "<script" not in html.split('id="main"', 1)[1]  # no chart library
    # Percentages as French readers write them (no-break space before %).
    assert "50\u00a0% (1/2)" in html  # Zoom: one met of two
    assert "100\u00a0% (1/1)" in html  # network: first response met
    assert "0\u00a0% (0/1)" in html  # network: open and past its resolution date
    queues = tuple(m.queue for m in technician.memberships)
    english = login(make_user(role="technician", queues=queues, locale="en"))
    assert "100% (1/1)" in english.get("/sla/report?from=2026-03-01&to=2026-03-31").text
    assert zoom.title_fr in html and network.title_fr in html
    assert other.title_fr not in html


def test_report_rejects_a_bad_period(login, technician):
    response = login(technician).get("/sla/report?from=2026-13-01&to=2026-11-30")
    assert response.status_code == 400
    assert "AAAA-MM-JJ" in _error_of(response.text, "period-from")
    response = login(technician).get("/sla/report?from=2026-12-01&to=2026-11-30")
    assert "avant son début" in _error_of(response.text, "period-to")
    # Too long a period: the page shows the default one (the last thirty days), not a
    # month cut from the end of the one asked for.
    response = login(technician).get("/sla/report?from=1900-01-01&to=2027-12-31")
    assert response.status_code == 400
    assert "dix ans au plus" in _error_of(response.text, "period-from")
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    assert f'id="period-to" name="to" value="{today.isoformat()}"' in response.text
    assert "décembre 2027" not in response.text


def _render_partial(app, ticket, user) -> str:
    with app.test_request_context("/"):
        login_user(user)
        return render_template("sla/_ticket_sla.html", ticket=ticket)


def test_ticket_partial_for_staff_and_requester(app, zoom, technician):
    ticket = new_ticket(zoom, paris(2099, 11, 20, 16, 30))
    staff = _render_partial(app, ticket, technician)
    assert "Échéance de résolution" in staff and "Temps ouvré restant" in staff
    assert "Dans les temps" in staff
    requester = _render_partial(app, ticket, ticket.requester)
    assert "Nous visons un traitement de votre demande d’ici le" in requester
    assert "Temps ouvré restant" not in requester


def test_paused_ticket_shows_the_stopped_clock(app, zoom, technician):
    ticket = new_ticket(
        zoom,
        paris(2026, 11, 20, 16, 30),
        status=Status.WAITING_ON_REQUESTER,
        sla_paused_since=paris(2026, 11, 23, 9, 0),
    )
    staff = _render_partial(app, ticket, technician)
    assert "En pause" in staff and "7 h 30" in staff
    assert "horloge arrêtée" in staff


@pytest.mark.parametrize("field", ["request_type", "calendar"])
@pytest.mark.parametrize("value", ["2147483648", "²", "9" * 5000])
def test_a_list_value_that_is_no_id_is_refused_next_to_its_field(
    login, admin, workday, field, value
):
    data = {**_policy_data(make_request_type(), workday), field: value}
    response = login(admin).submit("/sla/policies/new", data)
    assert response.status_code == 400
    assert "Choix non valide" in _error_of(response.text, field)
    assert _count(SlaPolicy) == 0


@pytest.mark.parametrize(
    "weekly", ["mon-fri 08:00-17:00\nwed closed", "wed closed\nmon-fri 08:00-12:00 13:30-17:00"]
)
def test_a_day_given_hours_and_closed_is_refused(login, db, weekly):
    # The day kept its hours whatever the order, and the admin believed it closed.
    client = login(make_user(role="admin", locale="en"))
    response = client.submit("/sla/calendars/new", {**GOOD_CALENDAR, "weekly_hours": weekly})
    assert response.status_code == 400
    message = _error_of(response.text, "weekly_hours")
    assert message == "Opening hours and “closed” are both given for Wednesday: keep one."
    assert _count(SlaCalendar) == 0


def test_an_english_admin_reads_english_day_names_in_the_calendar_form(login, admin):
    """The hint and the messages gave French examples (“lun-ven”, “sam fermé”) on English
    pages, next to a field prefilled with “mon-fri”; both languages' names are accepted."""
    admin.locale = "en"
    db.session.commit()
    client = login(admin)
    page = client.get("/sla/calendars/new").text
    assert "“mon-fri 08:00-12:00 13:30-17:00” or “sat closed”" in page
    assert "lun-ven" not in page and "fermé" not in page
    for value, message in [
        ("mondo 08:00-12:00", "(e.g. mon, tue… or mon-fri)"),
        ("mon", "(or “closed”)"),
        ("sat closed", "e.g. “mon-fri 08:00-17:00”"),
    ]:
        response = client.submit("/sla/calendars/new", {**GOOD_CALENDAR, "weekly_hours": value})
        assert response.status_code == 400
        error = _error_of(response.text, "weekly_hours")
        assert message in error and "lun" not in error and "fermé" not in error, error
    response = client.submit(
        "/sla/calendars/new", {**GOOD_CALENDAR, "weekly_hours": "mon-fri 08:00-17:00\nsat closed"}
    )
    assert response.status_code == 302
