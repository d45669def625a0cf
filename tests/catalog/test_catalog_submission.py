"""Submitting a form: tampered hidden fields, double submission, CSRF, confirmation page."""

from __future__ import annotations

import re

from desk.tickets.models import Ticket
from tests.catalog.world import assert_nothing_saved, counts, only_ticket
from tests.support.factories import make_user

URL = "/catalogue/licence-zoom"
VALID = {"zoom_email": "claire.martin@umontpellier.fr", "account_created": "y"}


def _token(page: str) -> str:
    return re.search(r'name="idempotency_token" type="hidden" value="([^"]+)"', page).group(1)


def test_tampered_fields_are_ignored(world, staff, login):
    other = make_user()
    client = login(staff)
    response = client.submit(
        URL,
        {
            **VALID,
            "requester_id": str(other.id),
            "queue_id": str(world.queues["rh-admin"].id),
            "request_type_id": str(world.types["phone"].id),
            "domain_id": str(world.hr.id),
            "status": "resolved",
            "reference": "DEM-2000-000001",
        },
    )
    assert response.status_code == 302
    ticket = only_ticket()
    assert ticket.requester_id == staff.id
    assert ticket.request_type_id == world.types["zoom"].id
    assert ticket.queue.code == "visio" and ticket.domain.code == "it"
    assert ticket.status.value == "new" and ticket.reference != "DEM-2000-000001"


def test_a_double_click_creates_one_ticket(world, staff, login):
    client = login(staff)
    token = _token(client.get(URL).text)
    data = {**VALID, "idempotency_token": token, "csrf_token": client.last_csrf}
    first = client.post(URL, data=data)
    second = client.post(URL, data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert counts() == (1, 1, 0, 0)


def test_a_token_sent_back_with_other_entries_files_a_new_request(world, staff, login):
    """After "Back" the form page puts back the token it was sent with (static/catalog.js):
    sent again as it was, it is the first ticket; changed, it is another request, which the
    token must not swallow into the first one's confirmation."""
    client = login(staff)
    token = _token(client.get(URL).text)
    data = {**VALID, "idempotency_token": token, "csrf_token": client.last_csrf}
    first = client.post(URL, data=data)
    again = client.post(URL, data=data)
    assert first.headers["Location"] == again.headers["Location"]
    changed = client.post(URL, data={**data, "zoom_email": "claire.martin@etu.umontpellier.fr"})
    assert changed.status_code == 302 and changed.headers["Location"] != first.headers["Location"]
    assert counts()[0] == 2
    addresses = {t.data["zoom_email"] for t in Ticket.query.all()}
    assert addresses == {"claire.martin@umontpellier.fr", "claire.martin@etu.umontpellier.fr"}


def test_a_second_click_that_no_longer_validates_shows_the_first_ticket(world, staff, login):
    # The browser sends the same token with a form that now fails (a field emptied meanwhile):
    # the ticket exists, so the requester gets its confirmation, not errors, and no second one.
    client = login(staff)
    token = _token(client.get(URL).text)
    first = client.post(
        URL, data={**VALID, "idempotency_token": token, "csrf_token": client.last_csrf}
    )
    second = client.post(
        URL,
        data={"zoom_email": "", "idempotency_token": token, "csrf_token": client.last_csrf},
    )
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert counts()[0] == 1


def test_an_invalid_form_with_an_unused_token_shows_its_errors(world, staff, login):
    client = login(staff)
    token = _token(client.get(URL).text)
    response = client.post(
        URL, data={"zoom_email": "", "idempotency_token": token, "csrf_token": client.last_csrf}
    )
    assert response.status_code == 400
    assert counts()[0] == 0


def test_each_new_form_gets_a_new_token(world, staff, login):
    client = login(staff)
    assert _token(client.get(URL).text) != _token(client.get(URL).text)
    client.submit(URL, VALID)
    client.submit(URL, VALID)
    assert counts()[0] == 2


def test_the_form_page_after_a_request_carries_its_token(world, staff, login):
    """ "Back" from a confirmation fetches the form page again and, without JavaScript,
    nothing puts its token back: the page is drawn with the token of the request last sent
    from it, so that "Send" again gives that request (saying so), a changed one a new one."""
    client = login(staff)
    token = _token(client.get(URL).text)
    data = {**VALID, "idempotency_token": token, "csrf_token": client.last_csrf}
    first = client.post(URL, data=data)
    assert first.status_code == 302
    assert _token(client.get(URL).text) == token  # "Back"
    again = client.post(URL, data=data)
    assert again.headers["Location"] == first.headers["Location"] and counts()[0] == 1
    reference = only_ticket().reference
    page = client.get(again.headers["Location"]).text
    assert "flash-info" in page and reference in page.split('class="flash flash-info"')[1]
    # Changed, it is a second request; its own page then carries the second's token.
    other = {**data, "zoom_email": "claire.martin@etu.umontpellier.fr"}
    second = client.post(URL, data=other)
    assert second.headers["Location"] != first.headers["Location"] and counts()[0] == 2
    assert "flash-info" not in client.get(second.headers["Location"]).text
    other["idempotency_token"] = _token(client.get(URL).text)
    assert other["idempotency_token"] != token
    assert client.post(URL, data=other).headers["Location"] == second.headers["Location"]
    assert counts()[0] == 2


def test_the_same_entries_once_the_first_is_closed_are_a_new_request(world, staff, login):
    from desk.extensions import db
    from desk.tickets.models import Status

    client = login(staff)
    client.submit(URL, VALID)
    only_ticket().status = Status.CLOSED
    db.session.commit()
    token = _token(client.get(URL).text)
    data = {**VALID, "idempotency_token": token, "csrf_token": client.last_csrf}
    response = client.post(URL, data=data)
    assert response.status_code == 302 and counts()[0] == 2
    assert "flash-info" not in client.get(response.headers["Location"]).text


def test_the_same_token_of_another_user_does_not_reveal_their_ticket(world, staff, login):
    client = login(staff)
    token = _token(client.get(URL).text)
    client.post(URL, data={**VALID, "idempotency_token": token, "csrf_token": client.last_csrf})
    intruder = login(make_user())
    intruder.get(URL)
    response = intruder.post(
        URL, data={**VALID, "idempotency_token": token, "csrf_token": intruder.last_csrf}
    )
    assert response.status_code == 302
    tickets = Ticket.query.order_by(Ticket.id).all()
    assert len(tickets) == 2 and tickets[1].requester_id != tickets[0].requester_id


def test_without_a_csrf_token_nothing_is_saved(world, staff, login):
    client = login(staff)
    response = client.post(URL, data={**VALID, "csrf_token": "forged"})
    assert response.status_code == 400
    assert_nothing_saved()


def test_confirmation_shows_the_reference_and_next_steps(world, staff, login):
    client = login(staff)
    page = client.get(client.submit(URL, VALID).headers["Location"]).text
    ticket = only_ticket()
    assert ticket.reference in page
    assert "Et maintenant ?" in page and "File visio" in page
    assert f'href="/mes-demandes/{ticket.reference}"' in page


def test_someone_elses_confirmation_page_is_404(world, staff, login):
    client = login(staff)
    client.submit(URL, VALID)
    reference = only_ticket().reference
    assert login(make_user()).get(f"/catalogue/confirmation/{reference}").status_code == 404
