"""People searches find a name typed without its accented capital ("élodie" finds "Élodie"),
on SQLite as on PostgreSQL: SQLite's own lower() folded ASCII letters only."""

from __future__ import annotations

import re

import pytest

from desk.auth.models import Role
from tests.support.factories import make_queue, make_ticket, make_user


@pytest.fixture
def elodie(app_ctx):
    return make_user("e.marchand@umontpellier.fr", name="Élodie Marchand")


@pytest.mark.parametrize("typed", ["élodie", "ÉLODIE", "Élodie"])
def test_admin_account_list(elodie, login, typed):
    admin = login(make_user("root@umontpellier.fr", role=Role.ADMIN))
    assert (
        "e.marchand@umontpellier.fr" in admin.get("/admin/accounts", query_string={"q": typed}).text
    )


def test_staff_filing_for_someone(elodie, login):
    tech = login(make_user("tech@umontpellier.fr", role=Role.TECHNICIAN, name="Tech"))
    found = tech.get("/catalogue/pour-un-usager", query_string={"q": "élodie"})
    assert found.status_code == 200 and "e.marchand@umontpellier.fr" in found.text


def test_queue_filter_and_ticket_search(elodie, login):
    queue = make_queue(code="reseau")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,), name="Karim Benali")
    ticket = make_ticket(queue=queue, subject="Écran noir", requester=elodie)
    make_ticket(queue=queue, subject="Borne HS")
    client = login(tech)
    for typed in ("élodie", "écran"):  # the requester's name; the subject
        page = client.get("/queues/reseau", query_string={"q": typed}).text
        assert re.findall(r'<tr data-ref="([^"]+)"', page) == [ticket.reference]
    assert ticket.reference in client.get("/recherche", query_string={"q": "élodie"}).text
