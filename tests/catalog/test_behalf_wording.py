"""Filing for someone, the forms speak of that person: the staff member reading "your
request", "What prevents you from using it?" or "I have already created my Zoom account"
would be told about themselves. Their own pages keep speaking to the requester."""

from __future__ import annotations

import pytest

from desk.auth.models import Role
from tests.catalog.world import assert_nothing_saved, field_errors
from tests.support.factories import make_request_type, make_user

GENERAL = "/catalogue/autre-demande-informatique"


@pytest.fixture
def general(world):
    return make_request_type(
        slug="autre-demande-informatique", form_key="general_request", queue=world.queues["reseau"]
    )


@pytest.fixture
def tech(world):
    return make_user(role=Role.TECHNICIAN, locale="en", queues=(world.queues["reseau"],))


def test_the_other_request_form_speaks_of_the_person(general, staff, tech, login):
    client = login(tech)
    url = f"{GENERAL}?pour={staff.id}"
    page = client.get(url).text
    assert "fits the person&#39;s need" in page or "fits the person's need" in page
    assert "What they need or what happens" in page
    assert "fits your need" not in page and "What you need" not in page

    sent_back = client.submit(url, {"intake": "phone"})
    assert sent_back.status_code == 400
    assert field_errors(sent_back.text, "summary") == ["Give the request a short subject."]
    assert field_errors(sent_back.text, "description") == ["Describe the request."]
    assert_nothing_saved()

    # The same staff member filing for themselves is the requester: "your request".
    own = client.submit(GENERAL, {})
    assert field_errors(own.text, "summary") == ["Give your request a short subject."]
    assert "What you need or what happens" in own.text


def test_the_zoom_form_does_not_make_the_staff_member_confirm_their_own_account(
    world, staff, tech, login
):
    client = login(tech)
    url = f"/catalogue/licence-zoom?pour={staff.id}"
    page = client.get(url).text
    assert "They have already created their Zoom account with this address." in page
    assert "I have already created my Zoom account" not in page
    assert "Their institutional address" in page
    # The browser would offer the staff member's own address.
    assert 'autocomplete="email"' not in page
    sent_back = client.submit(url, {"zoom_email": "", "intake": "phone"})
    assert field_errors(sent_back.text, "zoom_email") == [
        "Enter the e-mail address of their Zoom account."
    ]
    assert field_errors(sent_back.text, "account_created") == [
        "They create their Zoom account first; then confirm it here."
    ]
    assert_nothing_saved()


@pytest.mark.parametrize(
    ("slug", "form_key", "theirs", "yours"),
    [
        ("accessibilite", "accessibility_report", "What prevents them from using it?",
         "What prevents you from using it?"),
        ("reseau", "network_problem", "With Wi-Fi: it is switched on and connected",
         "If I use Wi-Fi: it is switched on and I am connected"),
        ("telephone", "hr_phone", "Their professional number comes from the HR application",
         "Your professional number comes from the HR application"),
    ],
)  # fmt: skip
def test_every_form_speaks_of_the_person(world, staff, tech, login, slug, form_key, theirs, yours):
    make_request_type(slug=slug, form_key=form_key)
    client = login(tech)
    behalf = client.get(f"/catalogue/{slug}?pour={staff.id}").text
    assert theirs in behalf and yours not in behalf
    own = login(make_user(locale="en")).get(f"/catalogue/{slug}").text
    assert yours in own and theirs not in own
