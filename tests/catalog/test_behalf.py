"""Staff filing a request for someone else (a call, a visit): whose ticket it is, what its
history says, who is told, and who may not do it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from desk.auth.models import Role
from desk.extensions import db
from desk.notifications.content import render_email
from desk.notifications.models import Channel, Notification, NotificationEvent
from desk.tickets.models import EventKind, TicketEvent
from tests.catalog.world import assert_nothing_saved, counts, field_errors, only_ticket
from tests.support.factories import make_user

FIND = "/catalogue/pour-un-usager"
ZOOM = "/catalogue/licence-zoom"
VALID = {"zoom_email": "claire.martin@umontpellier.fr", "account_created": "y", "intake": "phone"}


@pytest.fixture
def tech(world):
    """A technician of the network queue: not of the video-conferencing one."""
    return make_user(
        "tech.reseau@umontpellier.fr",
        role=Role.TECHNICIAN,
        queues=(world.queues["reseau"],),
        name="Tech Réseau",
    )


def _links(page: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', page)]


def test_a_technician_finds_the_person_then_files_in_their_name(world, staff, tech, login):
    client = login(tech)
    found = client.get(FIND, query_string={"q": "MARTIN"})
    assert found.status_code == 200 and "claire.martin@umontpellier.fr" in found.text
    catalogue_url = f"/catalogue?pour={staff.id}"
    assert catalogue_url in _links(found.text)

    catalogue = client.get(catalogue_url).text
    assert "pour Claire Martin (claire.martin@umontpellier.fr)" in catalogue
    assert f"{ZOOM}?pour={staff.id}" in _links(catalogue)

    form = client.get(f"{ZOOM}?pour={staff.id}").text
    # Prefilled from the person's account, not the technician's.
    assert 'value="claire.martin@umontpellier.fr"' in form
    assert "Comment cette demande vous est-elle parvenue" in form
    assert f'action="{ZOOM}?pour={staff.id}"' in form

    response = client.submit(f"{ZOOM}?pour={staff.id}", VALID)
    assert response.status_code == 302
    ticket = only_ticket()
    assert ticket.requester_id == staff.id and ticket.queue.code == "visio"
    assert ticket.data == {"zoom_email": "claire.martin@umontpellier.fr", "account_created": True}
    created = db.session.scalars(select(TicketEvent)).one()
    assert created.kind is EventKind.CREATED and created.actor_id == tech.id
    assert (created.field, created.new_value) == ("intake", "phone")

    done = client.get(response.headers["Location"])
    assert done.status_code == 200
    assert "Demande enregistrée pour Claire Martin" in done.text
    assert ticket.reference in done.text
    # The technician does not work the video-conferencing queue: no link to a page they
    # could not open.
    assert f"/tickets/{ticket.reference}" not in done.text

    # The ticket is the person's own: their requests, their confirmation, and the history
    # says who filed it and how.
    own = login(staff)
    detail = own.get(f"/mes-demandes/{ticket.reference}").text
    assert "Ticket créé pour Claire Martin (demande reçue par téléphone)." in detail
    assert "Tech Réseau" in detail
    assert own.get(response.headers["Location"]).status_code == 200


def test_the_acknowledgement_says_who_filed_it(world, staff, tech, login):
    login(tech).submit(f"{ZOOM}?pour={staff.id}", VALID)
    mail = db.session.scalars(
        select(Notification).where(
            Notification.channel == Channel.EMAIL,
            Notification.event == NotificationEvent.SUBMITTED,
        )
    ).one()
    assert mail.recipient_id == staff.id
    _subject, text, html = render_email(mail.payload, mail.id)
    assert "Tech Réseau l’a enregistrée pour vous." in text
    assert "Tech Réseau l’a enregistrée pour vous." in html


def test_the_filer_is_not_told_of_the_new_ticket_but_the_queue_is(world, staff, login):
    visio = world.queues["visio"]
    filer = make_user(role=Role.TECHNICIAN, queues=(visio,), name="Tech Visio")
    colleague = make_user(role=Role.TECHNICIAN, queues=(visio,))
    client = login(filer)
    response = client.submit(f"{ZOOM}?pour={staff.id}", {**VALID, "intake": "in_person"})
    told = {
        n.recipient_id
        for n in db.session.scalars(
            select(Notification).where(Notification.event == NotificationEvent.NEW_TICKET)
        )
    }
    assert told == {colleague.id}
    # The filer works the queue: the confirmation leads to the ticket, whose history says
    # the request came in person.
    reference = only_ticket().reference
    assert f"/tickets/{reference}" in _links(client.get(response.headers["Location"]).text)
    page = client.get(f"/tickets/{reference}").text
    assert "Ticket créé pour Claire Martin (demande reçue en personne)." in page
    # The same caller often has a second request: one click from the ticket.
    assert f"/catalogue?pour={staff.id}" in _links(page)


def test_how_the_request_came_in_is_required_and_checked(world, staff, tech, login):
    client = login(tech)
    for intake, message in (("", "Indiquez comment la demande vous est parvenue."), ("fax", "")):
        data = {**VALID, "intake": intake}
        response = client.submit(f"{ZOOM}?pour={staff.id}", data)
        assert response.status_code == 400
        errors = field_errors(response.text, "intake")
        assert errors and message in errors[0], errors
        assert_nothing_saved()
    # The form's own fields are checked as for the person themselves.
    response = client.submit(f"{ZOOM}?pour={staff.id}", {**VALID, "zoom_email": "x@gmail.com"})
    assert response.status_code == 400 and field_errors(response.text, "zoom_email")
    assert_nothing_saved()


def test_a_double_click_files_one_ticket(world, staff, tech, login):
    client = login(tech)
    page = client.get(f"{ZOOM}?pour={staff.id}").text
    token = re.search(r'name="idempotency_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {**VALID, "csrf_token": client.last_csrf, "idempotency_token": token}
    first = client.post(f"{ZOOM}?pour={staff.id}", data=data)
    second = client.post(f"{ZOOM}?pour={staff.id}", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    only_ticket()


def test_requesters_may_not_file_for_someone(world, staff, login):
    other = make_user(name="Autre Personne")
    client = login(staff)
    assert client.get(FIND).status_code == 403
    assert client.get(f"/catalogue?pour={other.id}").status_code == 403
    response = client.submit(f"{ZOOM}?pour={other.id}", VALID, page=ZOOM)
    assert response.status_code == 403
    assert "personnel du centre de services" in response.text
    assert_nothing_saved()


def test_a_staff_only_entry_is_refused_for_a_student(world, tech, login):
    student = make_user(is_staff=False, name="Léo Petit")
    client = login(tech)
    catalogue = client.get(f"/catalogue?pour={student.id}").text
    assert f"/catalogue/comptes-wifi?pour={student.id}" not in _links(catalogue)
    assert "Réservé aux personnels" in catalogue
    response = client.get(f"/catalogue/comptes-wifi?pour={student.id}")
    assert response.status_code == 403 and "Léo Petit ne peut pas" in response.text


@pytest.mark.parametrize(
    "pour", ["abc", "0", "-1", "99999999999999999999999", "1.5", "", "²", "%C3%A9"]
)
def test_a_person_that_does_not_exist_is_not_found(world, tech, login, pour):
    client = login(tech)
    for url in (f"/catalogue?pour={pour}", f"{ZOOM}?pour={pour}"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"{ZOOM}?pour={pour}", data={**VALID, "csrf_token": "x"})
    assert response.status_code in (400, 404)
    assert counts() == (0, 0, 0, 0)


def test_a_deactivated_account_cannot_be_chosen(world, tech, login):
    gone = make_user("parti@umontpellier.fr", name="Ancien Agent", is_active=False)
    client = login(tech)
    assert "parti@umontpellier.fr" not in client.get(FIND, query_string={"q": "parti"}).text
    assert client.get(f"/catalogue?pour={gone.id}").status_code == 404


@pytest.mark.parametrize("query", ["%", "_", "\\", "%%%", "a%b"])
def test_search_wildcards_are_plain_text(world, staff, tech, login, query):
    page = login(tech).get(FIND, query_string={"q": query}).text
    assert "claire.martin@umontpellier.fr" not in page


def test_a_search_too_short_says_so_next_to_the_field(world, staff, tech, login):
    page = login(tech).get(FIND, query_string={"q": "c"}).text
    assert field_errors(page, "q") == ["Saisissez au moins 2 caractères."]
    assert 'aria-invalid="true"' in page and "claire.martin" not in page


def test_people_found_are_listed_as_a_reader_sorts_names(world, tech, login):
    for name in ("Zoé Garnier", "élodie Garnier", "Émile Garnier", "Bruno Garnier"):
        make_user(f"{name.split()[0].lower()}.garnier@umontpellier.fr", name=name)
    page = login(tech).get(FIND, query_string={"q": "garnier"}).text
    found = re.findall(r'data-person="([^"]+)"', page)
    assert [x.split(".")[0] for x in found] == ["bruno", "élodie", "émile", "zoé"]


def test_many_matches_are_capped(world, tech, login):
    for n in range(25):
        make_user(f"dupont{n:02d}@umontpellier.fr", name=f"Dupont {n:02d}")
    page = login(tech).get(FIND, query_string={"q": "dupont"}).text
    assert page.count('data-person="') == 20
    assert "Seules les 20 premières" in page


def test_someone_else_s_filing_stays_private(world, staff, tech, login):
    response = login(tech).submit(f"{ZOOM}?pour={staff.id}", VALID)
    other_tech = make_user(role=Role.TECHNICIAN, queues=(world.queues["reseau"],))
    assert login(other_tech).get(response.headers["Location"]).status_code == 404
