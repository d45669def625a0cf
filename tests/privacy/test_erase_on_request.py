"""Erasure at someone's request (RGPD art. 17): an admin erases a deactivated account and its
finished requests at once, after ticking a confirmation; an account in use is refused; the
open requests stay; nobody else may."""

from __future__ import annotations

from sqlalchemy import select

from desk.auth.models import User
from desk.extensions import db
from desk.tickets.models import Ticket
from tests.catalog.world import field_errors
from tests.support.factories import make_ticket, make_user


def _person(desk, *, active: bool):
    person = make_user("leo.petit@etu.umontpellier.fr", name="Léo Petit", is_active=active)
    done = make_ticket(
        queue=desk.network, requester=person, subject="Wi-Fi bât. 5", status="closed"
    )
    going = make_ticket(queue=desk.network, requester=person, subject="Imprimante bureau 12")
    return person, done, going


def _url(person) -> str:
    return f"/admin/accounts/{person.id}/effacement"


def _reload(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def test_an_admin_erases_a_deactivated_person_at_once(desk, login):
    person, done, going = _person(desk, active=False)
    admin = login(desk.admin)
    page = admin.get(_url(person)).text
    assert "1 demande terminée" in page and "1 demande est encore en cours" in page

    response = admin.submit(_url(person), {}, page=_url(person))  # the box not ticked
    assert response.status_code == 400
    assert field_errors(response.text, "confirm") == ["Cochez la case pour confirmer l’effacement."]
    assert _reload(User, person.id).erased_at is None

    response = admin.submit(_url(person), {"confirm": "y"}, page=_url(person))
    assert response.status_code == 302
    assert (
        "Le compte a été anonymisé et 1 demande terminée effacée."
        in admin.get(response.location).text
    )
    user = _reload(User, person.id)
    assert user.erased_at is not None and user.display_name == "—"
    assert _reload(Ticket, done.id).erased_at is not None
    kept = _reload(Ticket, going.id)
    assert kept.erased_at is None and kept.subject == "Imprimante bureau 12"
    # Once done, the page only says so.
    page = admin.get(_url(person))
    assert "Ce compte a été anonymisé" in page.text and 'name="confirm"' not in page.text


def test_an_account_in_use_is_not_erased(desk, login):
    person, done, _going = _person(desk, active=True)
    admin = login(desk.admin)
    page = admin.get(_url(person)).text
    assert "Désactivez d’abord le compte" in page and 'name="confirm"' not in page
    response = admin.submit(_url(person), {"confirm": "y"}, page=f"/admin/accounts/{person.id}")
    assert response.status_code == 400 and "Désactivez d’abord le compte" in response.text
    assert _reload(User, person.id).erased_at is None
    assert _reload(Ticket, done.id).erased_at is None


def test_nobody_else_may_and_bad_addresses_are_not_found(desk, login):
    person, done, _going = _person(desk, active=False)
    for someone in (desk.requester, desk.tech):
        client = login(someone)
        assert client.get(_url(person)).status_code == 403
        response = client.submit(_url(person), {"confirm": "y"}, page="/home")
        assert response.status_code == 403
    admin = login(desk.admin)
    assert admin.get("/admin/accounts/987654/effacement").status_code == 404
    assert admin.get(f"/admin/accounts/{10**30}/effacement").status_code == 404
    without_token = admin.post(_url(person), data={"confirm": "y"})
    assert without_token.status_code == 400
    assert db.session.scalar(select(User.erased_at).where(User.id == person.id)) is None
    assert _reload(Ticket, done.id).erased_at is None
