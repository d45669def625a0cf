"""Putting someone in copy who has never signed in: found in the real directory (slapd) by
their address, their account made as their first CAS sign-in would make it; the directory
down is a message next to the field, nothing saved."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from desk.auth.models import User
from desk.extensions import db
from desk.identity.models import DirectoryLink
from desk.watchers.models import TicketWatcher
from tests.support.factories import make_request_type, make_ticket


def _ticket():
    return make_ticket(request_type=make_request_type(slug="copie-annuaire"), status="assigned")


def _watchers() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(TicketWatcher))


def test_a_person_of_the_directory_is_put_in_copy(admin_client, app_ctx):
    ticket = _ticket()
    url = f"/demandes/{ticket.reference}/en-copie"
    response = admin_client.submit(url, {"email": "Leo.Petit@etu.umontpellier.fr"})
    assert response.status_code == 302
    leo = db.session.scalar(select(User).where(User.email == "leo.petit@etu.umontpellier.fr"))
    assert leo is not None and leo.display_name == "Léo Petit" and leo.is_staff is False
    assert db.session.get(DirectoryLink, leo.id).login == "lpetit"
    assert db.session.get(TicketWatcher, (ticket.id, leo.id)) is not None


def test_an_address_the_directory_does_not_know_is_refused(admin_client, app_ctx):
    ticket = _ticket()
    url = f"/demandes/{ticket.reference}/en-copie"
    response = admin_client.submit(url, {"email": "inconnu@umontpellier.fr"})
    assert response.status_code == 400
    assert "Personne à l’université n’a cette adresse" in response.text
    assert _watchers() == 0


def test_the_directory_down_is_said_next_to_the_field(admin_client, cas_app, slapd, app_ctx):
    ticket = _ticket()
    url = f"/demandes/{ticket.reference}/en-copie"
    cas_app.config["LDAP_URL"] = "ldap://127.0.0.1:1"  # nothing listens there
    response = admin_client.submit(url, {"email": "leo.petit@etu.umontpellier.fr"})
    assert response.status_code == 400
    error = re.search(r'id="email-error">(.*?)</ul>', response.text, re.S)
    assert error and "L’annuaire est injoignable" in error.group(1)
    assert _watchers() == 0
    assert db.session.scalar(select(User).where(User.email.like("leo.petit%"))) is None
