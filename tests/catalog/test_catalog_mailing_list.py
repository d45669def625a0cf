"""Mailing-list creation: valid path, name rules and uniqueness, recipients and owners."""

from __future__ import annotations

import pytest

from desk.catalog.models import MailingList
from desk.extensions import db
from desk.tickets.models import Status
from tests.catalog.world import assert_nothing_saved, counts, field_errors, only_ticket
from tests.support.factories import make_ticket

URL = "/catalogue/liste-diffusion"


def _data(**overrides):
    data = {
        "list_name": "labo-chimie.seminaires",
        "purpose": "Annonces des séminaires du laboratoire",
        "recipients": "Alice@umontpellier.fr, bob@umontpellier.fr\nalice@umontpellier.fr;"
        " group:labo-chimie",
        "owners": "claire.martin@umontpellier.fr",
        "other_info": "",
    }
    data.update(overrides)
    return data


def test_valid_request_goes_to_the_messaging_queue(world, staff, login):
    client = login(staff)
    page = client.get(URL).text
    assert "boîte e-mail générique" in page  # the form says a list is offered instead
    assert "claire.martin@umontpellier.fr" in page  # owners prefilled with the requester
    response = client.submit(URL, _data())
    assert response.status_code == 302
    ticket = only_ticket()
    assert ticket.queue.code == "messagerie" and ticket.domain.code == "it"
    assert ticket.data["list_name"] == "labo-chimie.seminaires"
    assert ticket.data["recipients"] == ["alice@umontpellier.fr", "bob@umontpellier.fr"]
    assert ticket.data["groups"] == ["labo-chimie"]
    assert ticket.data["owners"] == ["claire.martin@umontpellier.fr"]
    shown = client.get(f"/mes-demandes/{ticket.reference}").text
    assert "Nom de la liste" in shown and "Groupes de l’annuaire" in shown


def _refused(client, field, message, **overrides):
    before = counts()
    response = client.submit(URL, _data(**overrides))
    assert response.status_code == 400
    errors = field_errors(response.text, field)
    assert any(message in e for e in errors), errors
    assert_nothing_saved(before)


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("list_name", {"list_name": ""}, "Indiquez le nom de la liste."),
        ("list_name", {"list_name": "ab"}, "au moins 3 caractères"),
        ("list_name", {"list_name": "a" * 65}, "au plus 64 caractères"),
        ("list_name", {"list_name": "Labo-Chimie"}, "minuscules"),
        ("list_name", {"list_name": "labo chimie"}, "n’est pas autorisé"),
        ("list_name", {"list_name": "-labo"}, "commencer par une lettre ou un chiffre"),
        ("purpose", {"purpose": ""}, "Précisez à quoi servira la liste."),
        ("purpose", {"purpose": "x" * 2001}, "2\u202f000 caractères au plus"),
        ("recipients", {"recipients": ""}, "Indiquez au moins un destinataire."),
        ("recipients", {"recipients": "alice@umontpellier.fr\nbob@@example"}, "Ligne 2"),
        ("recipients", {"recipients": "alice"}, "groupe"),
        ("owners", {"owners": ""}, "Indiquez au moins un propriétaire."),
        ("owners", {"owners": "group:labo"}, "Les propriétaires sont des personnes"),
        ("owners", {"owners": "pas-une-adresse@"}, "Adresse e-mail non valide"),
        ("other_info", {"other_info": "x" * 2001}, "2\u202f000 caractères au plus"),
    ],
)
def test_invalid_fields(world, staff, login, field, overrides, message):
    _refused(login(staff), field, message, **overrides)


def test_an_existing_list_name_is_refused(world, staff, login):
    db.session.add(MailingList(name="dsin-info"))
    db.session.commit()
    _refused(login(staff), "list_name", "existe déjà", list_name="dsin-info")


def test_a_name_asked_in_an_open_request_is_refused_but_not_after_closing(world, staff, login):
    other = make_ticket(request_type=world.types["list"], data={"list_name": "projet-x"})
    client = login(staff)
    _refused(client, "list_name", "a déjà été demandée", list_name="projet-x")
    other.status = Status.CANCELLED
    db.session.commit()
    response = client.submit(URL, _data(list_name="projet-x"))
    assert response.status_code == 302, field_errors(response.text, "list_name")


def test_two_requests_for_one_name_at_the_same_moment_make_one_ticket(world, staff, login):
    """Two people ask for the same list at the same moment: each checked that the name was
    free, then both saved. The name is held from the check to the commit (PostgreSQL's
    advisory lock): the second waits, then is refused next to the field."""
    import contextlib
    import threading

    from sqlalchemy import event, select

    from desk.tickets.models import Ticket
    from tests.support.factories import make_user

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the name is held by a PostgreSQL lock; SQLite (development) has none")
    other = make_user("bruno.petit@umontpellier.fr", name="Bruno Petit")
    clients = [login(staff), login(other)]
    for client in clients:
        client.get(URL)
    # Both wait here, at their ticket's number, until both are past the name's check (or 3 s
    # have passed: the second one is held before its check, and never gets here).
    both_checked = threading.Barrier(2, timeout=3)

    def numbering(conn, cursor, statement, *_args):
        if "ticket_counter" in statement:
            with contextlib.suppress(threading.BrokenBarrierError):
                both_checked.wait()

    answers: dict[int, object] = {}

    def send(i: int) -> None:
        client = clients[i]
        data = {**_data(), "csrf_token": client.last_csrf, "kb_checked": "1"}
        answers[i] = client.post(URL, data=data)

    event.listen(db.engine, "before_cursor_execute", numbering)
    try:
        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        event.remove(db.engine, "before_cursor_execute", numbering)
    statuses = sorted(answers[i].status_code for i in range(2))
    assert statuses == [302, 400]
    refused = next(answers[i] for i in range(2) if answers[i].status_code == 400)
    errors = field_errors(refused.get_data(as_text=True), "list_name")
    assert len(errors) == 1 and "a déjà été demandée" in errors[0]
    assert counts() == (1, 1, 0, 0)  # one ticket, its event; nothing of the second
    db.session.expire_all()
    assert db.session.scalars(select(Ticket.data["list_name"].as_string())).all() == [
        "labo-chimie.seminaires"
    ]


def test_owners_are_not_prefilled_with_an_address_no_server_takes(world, staff, login):
    # The second person of an address two directory entries share has a stand-in under
    # .invalid until the directory gives theirs: offered as the list's owner, it would be
    # sent on as is (a list nobody can run). The field stays empty for them to fill.
    client = login(staff)
    assert "claire.martin@umontpellier.fr" in client.get(URL).text
    staff.email = "shared-address-q7@desk.invalid"
    db.session.commit()
    assert "desk.invalid" not in client.get(URL).text
