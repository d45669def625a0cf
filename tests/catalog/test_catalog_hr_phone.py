"""HR phone-number change: French formats normalised to E.164, routed to HR only."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.catalog.models import RoutingRule
from desk.extensions import db
from tests.catalog.world import assert_nothing_saved, field_errors, only_ticket

URL = "/catalogue/numero-telephone"


def _data(**overrides):
    data = {
        "new_phone": "04 67 14 12 34",
        "effective_date": dt.date.today().isoformat(),
        "comment": "Nouveau bureau",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("written", ["04 67 14 12 34", "+33 4 67 14 12 34", "0467141234"])
def test_french_formats_are_stored_in_e164_and_routed_to_hr(world, staff, login, written):
    client = login(staff)
    response = client.submit(URL, _data(new_phone=written))
    assert response.status_code == 302
    ticket = only_ticket()
    assert ticket.data["new_phone"] == "+33467141234"
    assert ticket.domain.code == "hr" and ticket.queue.code == "rh-admin"
    assert "04 67 14 12 34" in client.get(f"/mes-demandes/{ticket.reference}").text


def test_a_broad_it_rule_never_captures_the_hr_request(world, staff, login):
    db.session.add(
        RoutingRule(name="tout vers le réseau", position=0, queue=world.queues["reseau"])
    )
    db.session.commit()
    assert login(staff).submit(URL, _data()).status_code == 302
    assert only_ticket().queue.code == "rh-admin"


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("new_phone", {"new_phone": ""}, "Saisissez le nouveau numéro."),
        ("new_phone", {"new_phone": "04 67 14"}, "trop court"),
        ("new_phone", {"new_phone": "04 67 AB 12 34"}, "Utilisez uniquement des chiffres"),
        ("new_phone", {"new_phone": "4 67 14 12 34"}, "Commencez par 0"),
        ("effective_date", {"effective_date": ""}, "Indiquez la date"),
        ("effective_date", {"effective_date": "31/02/2026"}, "Saisissez une date"),
        ("effective_date", {"effective_date": "2099-01-01"}, "moins d’un an"),
        ("comment", {"comment": "x" * 1001}, "1\u202f000 caractères au plus"),
    ],
)
def test_invalid_fields(world, staff, login, field, overrides, message):
    response = login(staff).submit(URL, _data(**overrides))
    assert response.status_code == 400
    errors = field_errors(response.text, field)
    assert any(message in e for e in errors), errors
    assert_nothing_saved()


@pytest.mark.parametrize("written", ["04.67.14.12.34", "+33 (0)4 67 14 12 34", "0033467141234"])
def test_the_number_hr_already_holds_is_refused_however_written(world, staff, login, written):
    # The form is opened from the preferences page, which shows the number HR holds: the same
    # number "changed" gave HR a ticket with nothing to change.
    staff.phone, staff.locale = "+33467141234", "en"
    db.session.commit()
    response = login(staff).submit(URL, _data(new_phone=written))
    assert response.status_code == 400
    assert field_errors(response.text, "new_phone") == [
        "This is already your number in the directory: enter the new one."
    ]
    assert_nothing_saved()
    # Another number, or someone without one on file, is a request as before.
    assert login(staff).submit(URL, _data(new_phone="04 67 14 12 35")).status_code == 302


def test_filed_for_someone_their_current_number_is_refused_in_their_words(world, staff, login):
    from desk.auth.models import Role
    from tests.support.factories import make_user

    staff.phone = "+33467141234"
    db.session.commit()
    tech = make_user(role=Role.TECHNICIAN, locale="en", queues=(world.queues["rh-admin"],))
    client = login(tech)
    # The technician's own number is not the person's: only the person's is refused.
    tech.phone = "+33467141299"
    db.session.commit()
    url = f"{URL}?pour={staff.id}"
    response = client.submit(url, {**_data(new_phone="04 67 14 12 34"), "intake": "phone"})
    assert response.status_code == 400
    assert field_errors(response.text, "new_phone") == [
        "This is already their number in the directory: enter the new one."
    ]
    assert_nothing_saved()
    response = client.submit(url, {**_data(new_phone="04 67 14 12 99"), "intake": "phone"})
    assert response.status_code == 302
    assert only_ticket().data["new_phone"] == "+33467141299"
