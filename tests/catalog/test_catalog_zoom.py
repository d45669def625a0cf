"""Zoom licence association: institutional domains only, with a "did you mean" for typos."""

from __future__ import annotations

import pytest

from tests.catalog.world import assert_nothing_saved, field_errors, only_ticket

URL = "/catalogue/licence-zoom"


@pytest.mark.parametrize(
    "address", ["Claire.Martin@UMONTPELLIER.FR", "leo.petit@etu.umontpellier.fr"]
)
def test_institutional_addresses_are_accepted(world, staff, login, address):
    client = login(staff)
    page = client.get(URL).text
    assert "8 h à 17 h" in page and "quelques heures" in page
    response = client.submit(URL, {"zoom_email": address, "account_created": "y"})
    assert response.status_code == 302
    ticket = only_ticket()
    assert ticket.queue.code == "visio"
    local, _, domain = address.partition("@")
    assert ticket.data == {"zoom_email": f"{local}@{domain.lower()}", "account_created": True}


def test_the_form_is_prefilled_with_the_users_address(world, staff, login):
    assert 'value="claire.martin@umontpellier.fr"' in login(staff).get(URL).text


def _refused(client, field, message, **data):
    response = client.submit(URL, data)
    assert response.status_code == 400
    errors = field_errors(response.text, field)
    assert any(message in e for e in errors), errors
    assert_nothing_saved()
    return response


def test_a_near_miss_gets_a_suggestion_next_to_the_field(world, staff, login):
    response = _refused(
        login(staff),
        "zoom_email",
        "claire.martin@umontpellier.fr",
        zoom_email="claire.martin@umomtpellier.fr",
        account_created="y",
    )
    assert "Adresse suggérée" in response.text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"zoom_email": "", "account_created": "y"}, "zoom_email", "Indiquez l’adresse e-mail"),
        (
            {"zoom_email": "claire@gmail.com", "account_created": "y"},
            "zoom_email",
            # One domain or the other, not both as "umontpellier.fr, etu.umontpellier.fr".
            "utilisez une adresse en umontpellier.fr ou etu.umontpellier.fr.",
        ),
        (
            {"zoom_email": "pas une adresse", "account_created": "y"},
            "zoom_email",
            "Cette adresse e-mail n’est pas valide.",
        ),
        (
            {"zoom_email": "claire.martin@umontpellier.fr"},
            "account_created",
            "Créez d’abord votre compte Zoom",
        ),
    ],
)
def test_invalid_inputs(world, staff, login, data, field, message):
    _refused(login(staff), field, message, **data)
