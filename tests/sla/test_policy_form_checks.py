"""The policy form refuses targets in the wrong order and a second policy for one request type:
a message next to the field, in the admin's language, a 400 and nothing saved.

The sentences are new msgids: the French pages are checked for what they already translate
(the durations, the type's French title), the English ones for the whole sentence."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from desk.extensions import db
from desk.sla.models import SlaPolicy
from tests.support.factories import make_request_type, make_user
from tests.support.sql import committed_first


@pytest.fixture
def admin(db):
    return make_user(role="admin")


def _data(request_type, calendar, **changes) -> dict:
    return {
        "request_type": str(request_type.id),
        "calendar": str(calendar.id),
        "first_response": "4h",
        "resolution": "2 j ouvrés",
        "warning_percent": "75",
        "save": "1",
        **changes,
    }


def _error_of(html: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error">(.*?)</ul>', html, re.S)
    assert match, f"no error next to {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _stored() -> list[tuple]:
    db.session.rollback()
    return list(
        db.session.execute(
            select(
                SlaPolicy.request_type_id,
                SlaPolicy.first_response_minutes,
                SlaPolicy.resolution_minutes,
            ).order_by(SlaPolicy.id)
        )
    )


@pytest.mark.parametrize(
    ("first", "resolution", "said"),
    [
        ("4h", "2h", ("(4 heures ouvrées)", "(2 heures ouvrées)")),
        # Units differ: a working day of this calendar is 9 h, so 10 h is the longer.
        ("10h", "1 j ouvré", ("(10 heures ouvrées)", "(1 jour ouvré)")),
        ("2 j", "1 working day", ("(2 jours ouvrés)", "(1 jour ouvré)")),
        ("541 min", "9h", ("(541 minutes ouvrées)", "(1 jour ouvré)")),
    ],
)
def test_a_first_response_longer_than_the_resolution_is_refused(
    login, admin, workday, first, resolution, said
):
    data = _data(make_request_type(), workday, first_response=first, resolution=resolution)
    response = login(admin).submit("/sla/policies/new", data)
    assert response.status_code == 400
    message = _error_of(response.text, "first_response")
    assert message.index(said[0]) < message.index(said[1])
    assert 'id="resolution-error"' not in response.text
    assert _stored() == []


def test_english_admin_reads_it_in_english(login, workday):
    english = login(make_user(role="admin", locale="en"))
    data = _data(make_request_type(), workday, first_response="4h", resolution="2h")
    response = english.submit("/sla/policies/new", data)
    assert response.status_code == 400
    assert _error_of(response.text, "first_response") == (
        "The first-response target (4 business hours) is longer than the resolution target"
        " (2 business hours): shorten it or lengthen the resolution target."
    )
    assert _stored() == []


@pytest.mark.parametrize(("first", "resolution"), [("9h", "1 j ouvré"), ("4h", "4h"), ("", "1h")])
def test_a_first_response_as_long_as_the_resolution_or_none_is_taken(
    login, admin, workday, first, resolution
):
    data = _data(make_request_type(), workday, first_response=first, resolution=resolution)
    assert login(admin).submit("/sla/policies/new", data).status_code == 302


def test_an_edit_that_shortens_the_resolution_below_the_first_response_saves_nothing(
    login, admin, network, workday
):
    policy = db.session.scalar(select(SlaPolicy))
    data = _data(network, workday, first_response="4h", resolution="3h")
    response = login(admin).submit(f"/sla/policies/{policy.id}", data)
    assert response.status_code == 400
    assert "(4 heures ouvrées)" in _error_of(response.text, "first_response")
    assert _stored() == [(network.id, 240, 1080)]


def test_a_second_policy_for_a_request_type_names_it_and_says_to_edit_it(
    login, admin, zoom, workday
):
    response = login(admin).submit("/sla/policies/new", _data(zoom, workday))
    assert response.status_code == 400
    assert zoom.title_fr in _error_of(response.text, "request_type")
    assert "choix valide" not in response.text
    assert _stored() == [(zoom.id, None, 540)]


def test_an_edit_cannot_move_a_policy_onto_a_request_type_that_has_one(
    login, admin, zoom, network, workday
):
    policy = db.session.scalar(select(SlaPolicy).filter_by(request_type_id=network.id))
    client = login(make_user(role="admin", locale="en"))
    response = client.submit(f"/sla/policies/{policy.id}", _data(zoom, workday))
    assert response.status_code == 400
    assert _error_of(response.text, "request_type") == (
        f"“{zoom.title_en}” already has an SLA policy: edit that one from the SLA settings."
    )
    assert _stored() == [(zoom.id, None, 540), (network.id, 240, 1080)]


def test_an_edit_may_keep_its_request_type_or_take_a_free_one(login, admin, network, workday):
    policy = db.session.scalar(select(SlaPolicy))
    client = login(admin)
    response = client.submit(f"/sla/policies/{policy.id}", _data(network, workday))
    assert response.status_code == 302
    free = make_request_type()
    response = client.submit(f"/sla/policies/{policy.id}", _data(free, workday))
    assert response.status_code == 302
    assert _stored() == [(free.id, 240, 1080)]


# None: the field not sent at all (a forged or cut-off form): no value to coerce, so no
# "not an id" error from `choice_id`; it was saved with no request type (500).
@pytest.mark.parametrize("value", ["999999", "abc", "", None])
def test_a_request_type_not_in_the_list_is_refused(login, admin, workday, value):
    data = {**_data(make_request_type(), workday), "request_type": value}
    if value is None:
        del data["request_type"]
    response = login(admin).submit("/sla/policies/new", data)
    assert response.status_code == 400
    assert _error_of(response.text, "request_type")
    assert db.session.scalar(select(func.count()).select_from(SlaPolicy)) == 0


def _rival(request_type, calendar) -> dict:
    """The other admin's policy, committed by its own connection."""
    return {
        "request_type_id": request_type.id,
        "calendar_id": calendar.id,
        "resolution_minutes": 60,
        "warning_percent": 50,
    }


def test_a_policy_saved_by_another_admin_meanwhile_is_the_form_s_message_not_a_409(
    login, admin, workday
):
    """Both forms checked the type was free; the other admin's INSERT reached the database
    first and the unique key refused ours: the form back with its own message, a 400, the
    other's policy alone stored (was desk's 409 page)."""
    free = make_request_type()
    client = login(admin)
    client.get("/sla/policies/new")
    with committed_first("sla_policy", _rival(free, workday)) as beaten:
        response = client.post(
            "/sla/policies/new", data={**_data(free, workday), "csrf_token": client.last_csrf}
        )
    assert beaten, "the app never inserted: the race was not run"
    assert response.status_code == 400
    message = _error_of(response.text, "request_type")
    assert free.title_fr in message and "déjà" in message
    assert _stored() == [(free.id, None, 60)]
    assert client.get("/sla/settings").status_code == 200  # the session was rolled back


def test_an_edit_onto_a_type_taken_meanwhile_is_the_form_s_message_not_a_409(
    login, network, workday
):
    policy = db.session.scalar(select(SlaPolicy))
    free = make_request_type()
    client = login(make_user(role="admin", locale="en"))
    client.get(f"/sla/policies/{policy.id}")
    with committed_first("sla_policy", _rival(free, workday), before="UPDATE") as beaten:
        response = client.post(
            f"/sla/policies/{policy.id}",
            data={**_data(free, workday), "csrf_token": client.last_csrf},
        )
    assert beaten
    assert response.status_code == 400
    assert _error_of(response.text, "request_type") == (
        f"“{free.title_en}” already has an SLA policy: edit that one from the SLA settings."
    )
    assert _stored() == [(network.id, 240, 1080), (free.id, None, 60)]
